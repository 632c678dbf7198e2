import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// Svelte 5 reads TypeScript itself; the preprocessor is only for <style> (none need it today).
export default {
  preprocess: vitePreprocess({ script: false }),
  compilerOptions: { runes: true },
};
