// Type-checks every workspace package including its tests (the build leaves tests out).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

execFileSync('npx', ['tsc', '-b'], { stdio: 'inherit' });
const projects = ['packages', 'apps'].flatMap((group) =>
  readdirSync(group)
    .map((dir) => `${group}/${dir}/tsconfig.json`)
    .filter((file) => existsSync(file) && !file.startsWith('apps/dashboard'))
    .concat(['test/tsconfig.json', 'bench/tsconfig.json', 'scripts/tsconfig.json']),
);
let failed = false;
for (const project of projects) {
  try {
    execFileSync('npx', ['tsc', '-p', project], { stdio: 'inherit' });
  } catch {
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
