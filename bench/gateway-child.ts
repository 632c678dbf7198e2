/**
 * The gateway alone in its own process, for bench/gateway.ts: routes from argv (JSON), prints its port.
 * Rate limits are lifted: the benchmark is one address opening thousands of connections.
 */
import { Gateway } from '@minefleet/gateway/gateway';

const routes = JSON.parse(process.argv[2] ?? '[]') as {
  serverId: string;
  hostnames: string[];
  status: string;
  port: number | null;
}[];
const gateway = new Gateway({
  host: '127.0.0.1',
  port: 0,
  perAddressPerSecond: 1e9,
  perAddressBurst: 1e9,
  maxConnections: 1e6,
});
for (const r of routes) {
  gateway.routes.upsert({
    serverId: r.serverId,
    tenantId: 'bench',
    region: 'local',
    status: r.status,
    backend: r.port ? { host: '127.0.0.1', port: r.port } : null,
    proxyProtocol: false,
    hostnames: r.hostnames,
  });
  gateway.statuses.set(
    r.serverId,
    {
      version: { name: '1.20.2', protocol: 764 },
      players: { max: 20, online: 0 },
      description: { text: 'A sleeping benchmark server' },
    },
    Date.now(),
  );
}
const { port } = await gateway.listen();
process.stdout.write(`${port}\n`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
