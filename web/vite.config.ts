import { defineConfig } from 'vite';

// `npm run dev` proxies the API and media socket to a locally running videocall-server.
const server = process.env.VC_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    proxy: {
      '/api': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
});
