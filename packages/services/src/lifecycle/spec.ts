import type { ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import type { ServerRecord } from '../servers.js';

/** What the runtime needs to know of a server, from its record. */
export function specOf(server: ServerRecord, bindHost: string): ServerSpec {
  if (server.port === null) throw new Error(`Server ${server.id} has no port allocated.`);
  return {
    serverId: server.id,
    tenantId: server.tenantId,
    name: server.name,
    distribution: server.distribution,
    minecraftVersion: server.minecraftVersion,
    bindHost,
    port: server.port,
    memoryMb: server.memoryMb,
    cpuMillicores: server.cpuMillicores,
    maxPlayers: server.maxPlayers,
    properties: server.serverProperties,
  };
}
