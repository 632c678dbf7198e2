// Pod addresses for the test node: a network namespace per pod with a veth pair into it, so each pod has a
// non-loopback address of its own (10.B.n.2, the host's end 10.B.n.1) that Endpoints and EndpointSlices
// accept (they refuse loopback addresses), that the test process reaches directly, and inside which the
// game binds its usual port like in a container. Made with iproute2 (`ip netns`, veth), which needs root;
// where that is not possible, pods get loopback addresses instead (no endpoints) and the reason is said.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (args: string[]) => run('ip', args, { timeout: 10_000 });

export interface PodAddress {
  /** The pod's address, as its status reports it. */
  ip: string;
  /** A command prefix that runs a command inside the pod's network (empty on loopback). */
  exec: string[];
  release(): Promise<void>;
}

export class PodNetwork {
  /** Names of this network's namespaces and links start with it: `mf<4 hex>`. */
  private readonly tag = `mf${randomBytes(2).toString('hex')}`;
  private next = 1;
  private constructor(
    /** The second octet of this network's addresses (10.B.n.0/24 per pod); undefined on loopback. */
    private readonly octet: number | undefined,
    /** Why pods get loopback addresses, when they do. */
    readonly fallback: string | undefined,
  ) {}

  /** A network of namespaces when this process may make them; otherwise one of loopback addresses. */
  static async create(): Promise<PodNetwork> {
    const why = await namespacesUnavailable();
    if (why) return new PodNetwork(undefined, why);
    // A second octet no address of this machine uses (another test file's network, say).
    const { stdout } = await ip(['-4', '-o', 'addr', 'show']);
    const used = new Set([...stdout.matchAll(/inet 10\.(\d+)\./g)].map((m) => Number(m[1])));
    // Test files run side by side, each with its own network: starting from this process's id keeps two
    // that look at the same moment from taking the same range.
    const octet = Array.from({ length: 100 }, (_, i) => 100 + ((process.pid + i) % 100)).find(
      (b) => !used.has(b),
    );
    if (octet === undefined) return new PodNetwork(undefined, 'no free 10.B.0.0/16 range');
    return new PodNetwork(octet, undefined);
  }

  async allocate(): Promise<PodAddress> {
    // Never given twice: a pod that replaces another (a wake, a restart) has another address, as it
    // would on a real node, so a test can tell where players land.
    const n = this.next++;
    if (n > 250) throw new Error('the test node has no pod address left');
    if (this.octet === undefined) {
      const address = `127.${this.loopbackOctet()}.${n >> 8}.${(n & 255) + 2}`;
      return { ip: address, exec: [], release: async () => undefined };
    }
    const ns = `${this.tag}p${n}`;
    const host = `${this.tag}h${n}`;
    const net = `10.${this.octet}.${n}`;
    try {
      await ip(['netns', 'add', ns]);
      await ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['addr', 'add', `${net}.1/24`, 'dev', host]);
      await ip(['link', 'set', host, 'up']);
      await ip(['-n', ns, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', ns, 'route', 'add', 'default', 'via', `${net}.1`]);
    } catch (error) {
      await ip(['netns', 'del', ns]).catch(() => undefined);
      throw error;
    }
    return {
      ip: `${net}.2`,
      exec: ['ip', 'netns', 'exec', ns],
      // Deleting the namespace deletes the veth pair with it (once no process is left inside).
      release: async () => {
        await ip(['netns', 'del', ns]).catch(() => undefined);
      },
    };
  }

  /** Loopback addresses: 127.<random>.x.y, one block per network. */
  private loopbackOctet(): number {
    this.loopback ??= 100 + Math.floor(Math.random() * 100);
    return this.loopback;
  }
  private loopback: number | undefined;
}

/** Why network namespaces cannot be made here, or undefined when they can (tried, then removed). */
async function namespacesUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need it';
  const probe = `mfprobe${randomBytes(3).toString('hex')}`;
  try {
    await ip(['netns', 'add', probe]);
    await ip(['netns', 'del', probe]);
    return undefined;
  } catch (error) {
    return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`;
  }
}
