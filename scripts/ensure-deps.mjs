// Installs the workspace's dependencies on a fresh clone, so `npm start` and `npm test` work as the
// first command run. Uses only Node built-ins (nothing is installed yet when it runs).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const marker = new URL('../node_modules/.package-lock.json', import.meta.url);
if (!existsSync(marker)) {
  process.stdout.write('minefleet: installing dependencies (npm ci)...\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    cwd: new URL('..', import.meta.url),
  });
}
