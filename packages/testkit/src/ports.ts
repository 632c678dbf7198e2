import { readFileSync } from 'node:fs';
import net from 'node:net';

function canBind(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The lowest port the kernel hands to outgoing connections (Linux: ip_local_port_range; 32768 by
 * default). Ports the tests listen on later are picked below it: a port that is free now but in that
 * range can be taken by any client's connection meanwhile (a game then fails with EADDRINUSE, as a CI run
 * once saw).
 */
function ephemeralFloor(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}
const FLOOR = 10_000;
const CEILING = ephemeralFloor();

/**
 * A range of `size` consecutive ports that are free now, picked at random so test files running in
 * parallel (each with its own control plane and database) do not hand out the same game ports, and
 * below the kernel's range for outgoing connections, so no client takes one before it is listened on.
 */
export async function freePortRange(size: number): Promise<{ from: number; to: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const from = FLOOR + Math.floor(Math.random() * (CEILING - FLOOR - size));
    const checks = await Promise.all(Array.from({ length: size }, (_, i) => canBind(from + i)));
    if (checks.every(Boolean)) return { from, to: from + size - 1 };
  }
  throw new Error(`No free range of ${size} ports found.`);
}

export async function freePort(): Promise<number> {
  return (await freePortRange(1)).from;
}
