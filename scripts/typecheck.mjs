// Type-checks every workspace package including its tests (the build leaves tests out), the game-server
// launcher (plain CommonJS checked through its JSDoc types) and the dashboard (Svelte components too).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

execFileSync('npx', ['tsc', '-b'], { stdio: 'inherit' });
const projects = ['packages', 'apps']
  .flatMap((group) =>
    readdirSync(group)
      .map((dir) => `${group}/${dir}/tsconfig.json`)
      .filter((file) => existsSync(file) && !file.startsWith('apps/dashboard')),
  )
  .concat([
    'packages/runtime-local/launcher/tsconfig.json',
    'test/tsconfig.json',
    'bench/tsconfig.json',
    'scripts/tsconfig.json',
  ]);
const commands = [
  ...projects.map((project) => ['tsc', '-p', project]),
  // svelte-check runs TypeScript over the .svelte files as well as the dashboard's .ts files.
  ['svelte-check', '--tsconfig', 'apps/dashboard/tsconfig.json', '--output', 'human'],
];
let failed = false;
for (const command of commands) {
  try {
    execFileSync('npx', command, { stdio: 'inherit' });
  } catch {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
