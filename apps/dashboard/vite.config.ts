import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { sourceAliases } from '../../scripts/workspace-sources.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// The dashboard imports the typed API client's TypeScript sources directly, so its build does not depend
// on the order in which the workspace's `tsc -b` and Vite run; and the domain's pure rules it shares with
// the API (e.g. which Minecraft versions a plugin fits). Only the modules those packages export resolve.
export const workspaceAliases = sourceAliases(path.resolve(here, '../..'), {
  groups: ['packages'],
  names: ['@minefleet/api-client', '@minefleet/domain'],
});

export default defineConfig({
  root: here,
  base: '/',
  plugins: [svelte()],
  resolve: { alias: workspaceAliases },
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
