import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli } from '@minefleet/testkit/cli';
import { SoftAuthenticator } from '@minefleet/testkit/webauthn';

/**
 * `minefleet login` for an account whose only second factor is a passkey: the CLI cannot show a
 * WebAuthn prompt, so it says where to sign in instead, and still takes a recovery code. Run
 * `npx tsc -b` first: the CLI runs from dist/.
 */
describe('minefleet login with a passkey as the only second factor', () => {
  let cp: RunningControlPlane;
  let configDir: string;

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    configDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-'));
  });
  afterAll(async () => {
    await cp?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('says passkeys need a browser, and logs in with a recovery code', async () => {
    const user = await cp.api.signup('cli-passkey');
    const begun = await cp.api.post('/me/passkeys/options', { password: user.password }, user.token);
    const added = await cp.api.post(
      '/me/passkeys',
      {
        challenge_id: begun.body.challenge_id,
        response: new SoftAuthenticator(cp.url).register(begun.body.options),
      },
      user.token,
    );
    expect(added.status).toBe(201);
    const recovery = added.body.recovery_codes as string[];
    const env = cliEnv(configDir);
    const args = ['login', '--url', cp.url, '--email', user.email, '--password-stdin'];
    const refused = await runCli(args, { env, input: `${user.password}\n` });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PASSKEY_BROWSER_ONLY');
    expect(refused.stderr).toContain(`works only in a browser: sign in to the dashboard at ${cp.url}`);
    const ok = await runCli([...args, '--code', recovery[0]!], { env, input: `${user.password}\n` });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Logged in to ${cp.url} as ${user.email}`);
  });
});
