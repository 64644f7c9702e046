// Runs the unit tests of the pure browser modules (test/unit/*.test.ts) under node:test. Vite
// bundles each test file with what it imports into one ES module (TypeScript stripped), then
// `node --test` runs the bundles. Usage: npm test
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(webDir, 'test', 'unit');
const entries = Object.fromEntries(
  readdirSync(testDir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => [name.replace(/\.ts$/, ''), join(testDir, name)]),
);
const outDir = mkdtempSync(join(tmpdir(), 'vc-web-unit-'));
try {
  await build({
    root: webDir,
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node20',
      rollupOptions: { input: entries, output: { format: 'es', entryFileNames: '[name].mjs' } },
    },
  });
  const files = Object.keys(entries).map((name) => join(outDir, `${name}.mjs`));
  const run = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
