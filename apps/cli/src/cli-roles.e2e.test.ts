import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * `minefleet roles` and `minefleet members set-role` through the built executable against a real
 * control plane: create, list, update and delete custom roles, give one to a member (who then holds
 * exactly its permissions), and the errors a person meets (in use, unknown key, unknown role).
 * Run `npx tsc -b` first: the CLI runs from dist/.
 */
describe('minefleet roles', () => {
  let cp: RunningControlPlane;
  let owner: SignedUp;
  let friend: SignedUp;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const cli = (args: readonly string[]): Promise<CliRun> =>
    runCli(args, { env, cwd: work, timeoutMs: 60_000 });
  const json = async (args: readonly string[]) => {
    const run = await cli([...args, '--format', 'json']);
    expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    owner = await cp.api.signup('cli-roles');
    friend = await cp.api.signup('cli-roles-friend');
    work = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-roles-'));
    env = cliEnv(work, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: owner.token });
  });
  afterAll(async () => {
    await cp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('creates, lists, updates, gives and deletes a custom role', async () => {
    const permissions = await cli(['roles', 'permissions']);
    expect(permissions.code, permissions.stderr).toBe(0);
    expect(permissions.stdout).toMatch(/player\.kick\s+yes/);
    expect(permissions.stdout).toMatch(/tenant\.security\s+no/);

    const created = await json([
      'roles',
      'create',
      'moderator',
      '-p',
      'player.list,player.kick',
      '-p',
      'server.read',
    ]);
    expect(created).toMatchObject({
      name: 'moderator',
      members: 0,
      permissions: ['server.read', 'player.list', 'player.kick'],
    });

    const listed = await cli(['roles', 'ls']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/moderator\s+0\s+server\.read,player\.list,player\.kick/);

    const updated = await json([
      'roles',
      'update',
      'Moderator',
      '--add',
      'player.ban',
      '--remove',
      'player.list',
    ]);
    expect(updated.permissions).toEqual(['server.read', 'player.kick', 'player.ban']);
    const renamed = await json(['roles', 'update', created.id, '--name', 'mods']);
    expect(renamed).toMatchObject({ id: created.id, name: 'mods' });

    // Given to a member (by the role's name), who then holds exactly its permissions.
    const added = await cli(['members', 'add', friend.email, 'viewer']);
    expect(added.code, added.stderr).toBe(0);
    const set = await cli(['members', 'set-role', friend.email, 'mods']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`${friend.email} is now mods.`);
    const members = await cli(['members', 'ls']);
    expect(members.stdout).toMatch(new RegExp(`${friend.email.replace(/[.+]/g, '\\$&')}.*mods\\s+yes`));
    const login = await cp.api.post('/auth/login', {
      email: friend.email,
      password: friend.password,
      tenant_id: owner.tenantId,
    });
    const me = await cp.api.get('/me', login.body.token);
    expect(me.body.permissions).toEqual(['server.read', 'player.kick', 'player.ban']);

    // Held: refused, with the code; back to a built-in role: deleted.
    const inUse = await cli(['roles', 'delete', 'mods']);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain('ROLE_IN_USE');
    expect((await cli(['members', 'set-role', friend.email, 'operator'])).code).toBe(0);
    const deleted = await json(['roles', 'delete', 'mods']);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    expect(await json(['roles', 'ls'])).toEqual([]);
  });

  it('says what is wrong: an unknown permission, an owner-only one, an unknown role', async () => {
    const unknown = await cli(['roles', 'create', 'typo', '-p', 'server.everything']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('VALIDATION_FAILED');
    const ownerOnly = await cli(['roles', 'create', 'promoter', '-p', 'member.update']);
    expect(ownerOnly.code).not.toBe(0);
    expect(ownerOnly.stderr).toContain('member.update');
    const noRole = await cli(['members', 'set-role', friend.email, 'emperor']);
    expect(noRole.code).not.toBe(0);
    expect(noRole.stderr).toContain('ROLE_NOT_FOUND');
    const nothing = await cli(['roles', 'update', 'whatever']);
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toMatch(/nothing to change/);
  });
});
