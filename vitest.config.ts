import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Workspace packages export their built JavaScript (dist/). Tests run the TypeScript sources instead:
// `@minefleet/<pkg>/<module>` is aliased to `<pkg dir>/src/<module>.ts`. Spawned processes (control
// plane, CLI, game-server launcher) run the build.
const root = path.dirname(new URL(import.meta.url).pathname);
const alias = ['packages', 'apps'].flatMap((group) =>
  readdirSync(path.join(root, group))
    .filter((dir) => existsSync(path.join(root, group, dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(path.join(root, group, dir, 'package.json'), 'utf8')) as {
        name: string;
      };
      return {
        find: new RegExp(`^${pkg.name.replace('/', '\\/')}\\/(.*)$`),
        replacement: path.join(root, group, dir, 'src', '$1.ts'),
      };
    }),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/server/src/**/*.test.ts',
      'apps/cli/src/**/*.test.ts',
      'apps/operator/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    pool: 'forks',
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node refuses;
    // inlined, Vite transforms that import.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['./test/global-setup.ts'],
    // Unattended runs (.ci/run sets MINEFLEET_WATCHDOG=1) also get the watchdog: it names a test file
    // that does not end, with its open tests, and fails the run instead of leaving it hanging.
    reporters:
      process.env.MINEFLEET_WATCHDOG === '1' ? ['default', './test/ci/watchdog.ts'] : ['default'],
  },
});
