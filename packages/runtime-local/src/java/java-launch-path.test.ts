import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, RuntimeEvent, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { createLocalDriver } from '../create-local-driver.js';
import type { LocalDriver } from '../local-driver.js';

const run = promisify(execFile);

// THE JVM LAUNCH PATH ONLY, WITH A STAND-IN — NOT A MINECRAFT SERVER.
// No Minecraft jar exists on this machine and nothing can be downloaded. To exercise the part of the
// driver that runs Java servers (supervisor shim, JVM flags, pipes, console socket, vanilla log format,
// stop, kill, adoption) this test compiles a 20-line Java program that prints vanilla-style log lines,
// echoes what it reads on stdin and exits 0 on `stop`. It proves nothing about Paper or vanilla themselves.
const jdk = await run('jar', ['--version']).then(
  () => true,
  () => false,
);

const STAND_IN = `
import java.io.*;
public class StandIn {
  static void log(String level, String message) {
    System.out.println(String.format("[%tT] [Server thread/%s]: %s", new java.util.Date(), level, message));
  }
  public static void main(String[] args) throws Exception {
    log("INFO", "Stand-in for the JVM launch path, NOT a Minecraft server; heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stop")) { log("INFO", "Stopping the server"); System.exit(0); }
      if (line.equals("warn")) { log("WARN", "a warning"); continue; }
      if (line.equals("load")) { log("INFO", "Done (0.001s)! For help, type \\"help\\""); continue; }
      log("INFO", "echo: " + line);
    }
  }
}
`;

describe.runIf(jdk)('Java launch path (stand-in program, not Minecraft)', () => {
  let dir: string;
  let driver: LocalDriver;
  let spec: ServerSpec;
  const events: RuntimeEvent[] = [];
  const lines = (): ConsoleLine[] => events.flatMap((e) => (e.type === 'console' ? [e.line] : []));
  const waitFor = async (test: (l: ConsoleLine) => boolean, from = 0): Promise<ConsoleLine> => {
    for (let i = 0; i < 200; i++) {
      const found = lines().slice(from).find(test);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('console line never came');
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-java-'));
    const src = path.join(dir, 'src');
    await mkdir(src);
    await writeFile(path.join(src, 'StandIn.java'), STAND_IN);
    await run('javac', ['-d', src, path.join(src, 'StandIn.java')]);
    await mkdir(path.join(dir, 'jars'));
    // Offered as an admin-supplied jar, the offline path: no download is attempted.
    await run('jar', [
      'cfe',
      path.join(dir, 'jars', 'vanilla-1.20.4.jar'),
      'StandIn',
      '-C',
      src,
      'StandIn.class',
    ]);
    const java = { jarDir: path.join(dir, 'jars'), acceptEula: true };
    driver = createLocalDriver({ dataDir: path.join(dir, 'data'), java });
    driver.onEvent((e) => events.push(e));
    spec = {
      serverId: randomUUID(),
      tenantId: randomUUID(),
      name: 'stand-in',
      distribution: 'vanilla',
      minecraftVersion: '1.20.4',
      bindHost: '127.0.0.1',
      port: 25_998,
      memoryMb: 600,
      cpuMillicores: 1000,
      maxPlayers: 4,
      properties: {},
    };
    await driver.deploy(spec);
  }, 60_000);

  afterAll(async () => {
    await driver?.remove(spec.serverId);
    await driver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the JVM under the supervisor: heap from the plan, pre-start commands, parsed levels, stop exits 0', async () => {
    await driver.start(spec, { generation: 1, preStartCommands: ['say before players'] });
    await waitFor((l) => l.message === 'echo: say before players');
    const heap = await waitFor((l) => l.message.startsWith('Stand-in for the JVM launch path'));
    expect(heap.level).toBe('info');
    expect(heap.message).toMatch(/heap 3\d\d MB/); // -Xmx344M from 600 MB minus 256 MB headroom
    // Ready at vanilla's Done line (printed here when told to), not before.
    expect(await driver.ready(spec.serverId)).toBe(false);
    await driver.sendCommand(spec.serverId, 'load');
    await waitFor((l) => l.message.startsWith('Done ('));
    expect(await driver.ready(spec.serverId)).toBe(true);

    await driver.sendCommand(spec.serverId, 'warn');
    expect((await waitFor((l) => l.message === 'a warning')).level).toBe('warn');
    const stats = await driver.stats(spec.serverId);
    expect(stats!.memoryBytes).toBeGreaterThan(30 * 1024 * 1024); // supervisor and JVM together

    expect(await driver.stop(spec.serverId, { timeoutMs: 10_000 })).toMatchObject({ code: 0, generation: 1 });
    const logs = await driver.readLogs(spec.serverId, { q: 'stopping the server', page: 1, perPage: 10 });
    expect(logs.total).toBeGreaterThan(0);
  });

  it('survives the driver, is adopted with its console, and is killed with its whole process group', async () => {
    const from = lines().length;
    const info = await driver.start(spec, { generation: 2 });
    await driver.sendCommand(spec.serverId, 'load');
    await waitFor((l) => l.message.startsWith('Done'), from);
    await driver.close();
    driver = createLocalDriver({
      dataDir: path.join(dir, 'data'),
      java: { jarDir: path.join(dir, 'jars'), acceptEula: true },
    });
    driver.onEvent((e) => events.push(e));
    expect((await driver.adopt([spec.serverId])).get(spec.serverId)).toMatchObject({
      state: 'alive',
      pid: info.pid,
      generation: 2,
    });
    expect(await driver.ready(spec.serverId)).toBe(true);
    await driver.sendCommand(spec.serverId, 'after adoption');
    await waitFor((l) => l.message === 'echo: after adoption', from);
    const exit = await driver.kill(spec.serverId);
    expect(exit?.generation).toBe(2);
    // No live process of the group is left (the JVM went with the supervisor); zombies awaiting their
    // parent's wait() are not running anything, so they are given a moment and then ignored.
    let stray: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { stdout } = await run('ps', ['-eo', 'pgid=,stat=']);
      stray = stdout
        .split('\n')
        .map((row) => row.trim().split(/\s+/))
        .filter(([pgid, stat]) => pgid === String(info.pid) && !stat?.startsWith('Z'))
        .map((row) => row.join(' '));
      if (stray.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stray).toEqual([]);
  });
});
