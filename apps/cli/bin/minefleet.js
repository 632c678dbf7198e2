#!/usr/bin/env node
// The `minefleet` executable as npm links it. It is part of the repository (the compiled CLI in dist/
// is not until a build), so `npm ci` can link it, and it says what to do when the build is missing.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'minefleet: the CLI is not built yet. In the Minefleet checkout run "npm run build" (or "npx tsc -b"), then try again.\n',
  );
  process.exit(3);
}
await import(main.href);
