import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

// The dashboard imports the typed API client's TypeScript sources directly, so its build does not depend
// on the order in which the workspace's `tsc -b` and Vite run.
export const apiClientAlias = {
  find: /^@minefleet\/api-client\/(.*)$/,
  replacement: path.resolve(here, '../../packages/api-client/src/$1.ts'),
};

/** Pure domain rules the dashboard shares with the API (e.g. which Minecraft versions a plugin fits). */
export const domainAlias = {
  find: /^@minefleet\/domain\/(.*)$/,
  replacement: path.resolve(here, '../../packages/domain/src/$1.ts'),
};

export default defineConfig({
  root: here,
  base: '/',
  plugins: [svelte()],
  resolve: { alias: [apiClientAlias, domainAlias] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed file names under /assets/ are served with immutable caching by the control plane.
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 250,
  },
  server: {
    // `npm run dev -w @minefleet/dashboard` against a control plane on :8080.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } },
  },
});
