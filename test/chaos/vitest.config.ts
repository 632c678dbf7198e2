import path from 'node:path';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * `npm run test:chaos`: the chaos runs (test/chaos/*.chaos.ts: the short one, a fault of each kind, and
 * the long one), with the suite's aliases and setup but none of its other files. CI (.ci/run) runs the
 * short one beside the suite (docs/reliability.md).
 */
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export default defineConfig({
  ...base,
  root,
  test: {
    ...base.test,
    include: ['test/chaos/**/*.chaos.ts'],
    // CHAOS_FAULTS rounds of a few seconds each; the run stops itself at CHAOS_BUDGET_MINUTES.
    testTimeout: 6 * 60 * 60_000,
    hookTimeout: 300_000,
  },
});
