import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from './scripts/workspace-sources.mjs';

// Workspace packages export their built JavaScript (dist/). Tests run the TypeScript sources instead: each
// subpath a package exports (`@minefleet/<pkg>/<module>`, listed in its package.json) is aliased to
// `<pkg dir>/src/<module>.ts`; a module it does not export does not resolve. Spawned processes (control
// plane, CLI, game-server launcher) run the build.
const root = path.dirname(new URL(import.meta.url).pathname);
const alias = sourceAliases(root);

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
    // Two test files at a time even on 2 cores (vitest's default is cores − 1, one file at a time there):
    // most files spend their time waiting on spawned control planes, game servers, Kubernetes or a
    // browser, so a single worker left a core idle and the suite took twice as long.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node refuses;
    // inlined, Vite transforms that import.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['./test/global-setup.ts'],
    // Unattended runs (.ci/run sets MINEFLEET_WATCHDOG=1) also get the watchdog: it names a test file
    // that does not end, with its open tests, and fails the run instead of leaving it hanging.
    reporters: process.env.MINEFLEET_WATCHDOG === '1' ? ['default', './test/ci/watchdog.ts'] : ['default'],
  },
});
