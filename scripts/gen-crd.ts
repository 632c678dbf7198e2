// Writes the MinecraftServer CRD generated from the operator's TypeBox schema into the Helm chart.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CRD_FILE, minecraftServerCrdYaml } from '../apps/operator/src/crd/definition.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
writeFileSync(path.join(root, CRD_FILE), minecraftServerCrdYaml());
console.log(`wrote ${CRD_FILE}`);
