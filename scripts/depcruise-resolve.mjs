// dependency-cruiser reads module resolution from a webpack-style config (`options.webpackConfig` in
// .dependency-cruiser.cjs): `@minefleet/<pkg>/<module>` resolves to the source file of an exported subpath,
// so the layer rules see the real edge without a build, and a module a package does not export does not
// resolve at all (the `only-public-modules` rule reports it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceSources } from './workspace-sources.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// enhanced-resolve: a key ending in `$` matches that specifier only; a `*` in both key and target matches
// any path (the apps export `./*`).
export default () => ({
  resolve: {
    alias: Object.fromEntries(
      workspaceSources(root).map(({ specifier, source }) => [
        specifier.includes('*') ? specifier : `${specifier}$`,
        source,
      ]),
    ),
  },
});
