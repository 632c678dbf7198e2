// A workspace package's public face is the `exports` map of its package.json: one entry per module other
// workspaces may import (`"./audit": { "types": "./dist/audit.d.ts", "default": "./dist/audit.js" }`).
// Node and tsc (NodeNext) read that map from the build. The tools that read the TypeScript sources instead
// (Vitest, the dashboard's Vite, dependency-cruiser) take their aliases from here, derived from the same
// map, so a module left out of it does not resolve for them either (docs/architecture.md).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Each exported subpath of the workspace packages under `groups` (folders of `root`) with its source file:
 * `./dist/<path>.js` becomes `src/<path>.ts`; another target (e.g. `./openapi.json`) stays as it is. A
 * wildcard export (`./*`, the apps) keeps its `*` on both sides, and comes after the exact ones. `names`
 * keeps only those packages.
 *
 * @param {string} root
 * @param {{ groups?: string[], names?: string[] }} [options]
 * @returns {{ specifier: string, source: string }[]}
 */
export function workspaceSources(root, { groups = ['packages', 'apps'], names } = {}) {
  const sources = groups.flatMap((group) =>
    readdirSync(path.join(root, group))
      .map((dir) => path.join(root, group, dir))
      .filter((dir) => existsSync(path.join(dir, 'package.json')))
      .flatMap((dir) => {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
        if (names && !names.includes(pkg.name)) return [];
        return Object.entries(pkg.exports ?? {}).map(([subpath, target]) => {
          const file = typeof target === 'string' ? target : target.default;
          const built = /^\.\/dist\/(.*)\.js$/.exec(file);
          return {
            specifier: pkg.name + subpath.slice(1),
            source: path.join(dir, built ? `src/${built[1]}.ts` : file),
          };
        });
      }),
  );
  // Exact subpaths first: a resolver takes the first alias that matches (`./package.json` before `./*`).
  return [
    ...sources.filter((s) => !s.specifier.includes('*')),
    ...sources.filter((s) => s.specifier.includes('*')),
  ];
}

/**
 * Vite / Vitest `resolve.alias` entries: an exported subpath to its source file, matched exactly (a
 * wildcard export matches any path under the package).
 *
 * @param {string} root
 * @param {{ groups?: string[], names?: string[] }} [options]
 * @returns {{ find: RegExp, replacement: string }[]}
 */
export function sourceAliases(root, options) {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return workspaceSources(root, options).map(({ specifier, source }) => {
    const [head, tail = ''] = specifier.split('*');
    return specifier.includes('*')
      ? { find: new RegExp(`^${escape(head)}(.*)${escape(tail)}$`), replacement: source.replace('*', '$1') }
      : { find: new RegExp(`^${escape(specifier)}$`), replacement: source };
  });
}
