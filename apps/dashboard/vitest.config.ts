import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vite.config.js';

// Component and store tests run in jsdom with the browser build of Svelte (svelteTesting picks the
// `browser` export condition and cleans up after each test).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [svelte(), svelteTesting()],
  resolve: { alias: workspaceAliases },
  test: {
    name: 'dashboard',
    root: import.meta.dirname,
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
    setupFiles: ['src/test-setup.ts'],
    pool: 'threads',
    testTimeout: 15_000,
  },
});
