// Type-checks Kubernetes manifests (helm template output) without a cluster:
// 1. every document's kind must be one this chart may render, checked by kubernetes-models'
//    validators (types, formats, required fields);
// 2. every document is also written as a typed TypeScript literal and compiled with tsc, whose
//    excess-property checks reject unknown fields (misspelt or misplaced keys), which (1) misses.
// Usage: node check-manifests.mjs FILE.yaml...   Exit 1 on any error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const here = dirname(fileURLToPath(import.meta.url));
// apiVersion/kind -> [module, class]
const kinds = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'Secret'],
  'v1/Service': ['kubernetes-models/v1/Service', 'Service'],
  'v1/PersistentVolumeClaim': ['kubernetes-models/v1/PersistentVolumeClaim', 'PersistentVolumeClaim'],
  'v1/Pod': ['kubernetes-models/v1/Pod', 'Pod'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  'apps/v1/StatefulSet': ['kubernetes-models/apps/v1/StatefulSet', 'StatefulSet'],
  'networking.k8s.io/v1/Ingress': ['kubernetes-models/networking.k8s.io/v1/Ingress', 'Ingress'],
  'monitoring.coreos.com/v1/ServiceMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'ServiceMonitor',
  ],
};

const documents = [];
for (const file of process.argv.slice(2)) {
  yaml.loadAll(readFileSync(file, 'utf8'), (doc) => {
    if (doc) documents.push({ file, doc });
  });
}
if (documents.length === 0) {
  console.error('check-manifests: no documents');
  process.exit(1);
}

let failures = 0;
const typed = [];
for (const [i, { file, doc }] of documents.entries()) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const where = `${file}: ${key} ${doc.metadata?.name ?? '(no name)'}`;
  const entry = kinds[key];
  if (!entry) {
    console.error(`FAIL ${where}: unknown kind`);
    failures++;
    continue;
  }
  const [module, className] = entry;
  const Model = (await import(module))[className];
  try {
    new Model(doc).validate();
  } catch (error) {
    console.error(`FAIL ${where}: ${error.message}`);
    failures++;
  }
  typed.push(
    `import type { I${className} as T${i} } from '${module}';\n` +
      `// ${where}\nexport const doc${i}: T${i} = ${JSON.stringify(doc, null, 1)};\n`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'vc-manifests-'));
try {
  writeFileSync(join(dir, 'manifests.ts'), typed.join('\n'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext',
        target: 'es2022', skipLibCheck: true, typeRoots: [], baseUrl: here,
        paths: { '*': [join(here, 'node_modules', '*')] },
      },
      files: ['manifests.ts'],
    }),
  );
  execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', dir], {
    stdio: 'inherit',
  });
} catch {
  console.error('FAIL: tsc found unknown fields or wrong types (above)');
  failures++;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures) process.exit(1);
console.log(`check-manifests: ${documents.length} documents valid (validators and tsc)`);
