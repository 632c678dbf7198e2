// After `tsc -b`: tsc does not keep the executable bit, so the CLI entry point gets it here (a fresh
// clone's `npx minefleet` then works without chmod).
import { chmodSync, existsSync } from 'node:fs';

const cli = new URL('../apps/cli/dist/main.js', import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
