// Recomputes the sha256 and size of every file in the local catalogue (builtin/catalogue.json).
// Run after editing a built-in plugin:  node packages/plugins/scripts/hash-builtins.js
// (src/builtin-catalogue.test.ts fails until the catalogue matches the files.)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../builtin/', import.meta.url));
const cataloguePath = path.join(dir, 'catalogue.json');
const catalogue = JSON.parse(readFileSync(cataloguePath, 'utf8'));
for (const plugin of catalogue.plugins) {
  for (const version of plugin.versions) {
    const bytes = readFileSync(path.join(dir, version.file));
    version.sha256 = createHash('sha256').update(bytes).digest('hex');
    version.size_bytes = bytes.length;
    console.log(`${plugin.slug}@${version.version}  ${version.size_bytes} bytes  ${version.sha256}`);
  }
}
// Formatted like the rest of the repository, so `npm run format:check` stays green.
const prettier = await import('prettier');
const options = (await prettier.resolveConfig(cataloguePath)) ?? {};
writeFileSync(
  cataloguePath,
  await prettier.format(JSON.stringify(catalogue), { ...options, parser: 'json' }),
);
