import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const NATS_SERVER = '/usr/sbin/nats-server';

/**
 * A NATS server of the chaos run's own (JetStream on, its own store folder, a free loopback port): the
 * one on 4222 is shared by everyone on this machine and must never be stopped. `stop()` and `start()`
 * again keep the port and the store, as a restarted NATS would.
 */
export class NatsProcess {
  private proc: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<NatsProcess> {
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chaos-nats-'));
    const nats = new NatsProcess(await freeLoopbackPort(), storeDir);
    await nats.start();
    return nats;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      NATS_SERVER,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let output = '';
    proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    this.proc = proc;
    const deadline = Date.now() + 15_000;
    while (!(await answers(this.port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        this.proc = undefined;
        proc.kill('SIGKILL');
        throw new Error(`nats-server did not start on ${this.port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills it (SIGKILL: an outage, not a goodbye) and waits until it is gone. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
