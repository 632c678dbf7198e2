import net from 'node:net';

function canBind(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A range of `size` consecutive ports that are free now, picked at random so test files running in
 * parallel (each with its own control plane and database) do not hand out the same game ports.
 */
export async function freePortRange(size: number): Promise<{ from: number; to: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 35_000);
    const checks = await Promise.all(Array.from({ length: size }, (_, i) => canBind(from + i)));
    if (checks.every(Boolean)) return { from, to: from + size - 1 };
  }
  throw new Error(`No free range of ${size} ports found.`);
}

export async function freePort(): Promise<number> {
  return (await freePortRange(1)).from;
}
