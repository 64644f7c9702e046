// Generates TypeScript from ../proto/videocall.proto into src/gen/ with Debian's protoc and the
// locally installed protoc-gen-es plugin (no global installs, no downloads).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = resolve(webDir, '..', 'proto');
const outDir = resolve(webDir, 'src', 'gen');
const plugin = resolve(webDir, 'node_modules', '.bin', 'protoc-gen-es');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
execFileSync(
  'protoc',
  [
    `--plugin=protoc-gen-es=${plugin}`,
    `--es_out=${outDir}`,
    '--es_opt=target=ts,import_extension=none',
    `-I${protoDir}`,
    resolve(protoDir, 'videocall.proto'),
  ],
  { stdio: 'inherit' },
);
console.log(`generated ${outDir}/videocall_pb.ts`);
