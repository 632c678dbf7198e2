import { pgliteSnapshot, testBackends } from '@minefleet/testkit/databases';

/** Runs once before all test files: checks the database matrix and prepares the PGlite snapshot. */
export default async function setup(): Promise<void> {
  testBackends();
  await pgliteSnapshot();
}
