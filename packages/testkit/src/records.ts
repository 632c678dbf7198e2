import type { servers } from '@minefleet/db/schema';

export type ServerInsert = typeof servers.$inferInsert;

/**
 * A server row for tests that write the database directly: a small flying-squid 1.20.2 server of the
 * given tenant, plan and name; anything else as given.
 */
export function serverRow(
  fields: Pick<ServerInsert, 'tenantId' | 'name' | 'skuId'> & Partial<ServerInsert>,
): ServerInsert {
  return {
    distribution: 'flying-squid',
    minecraftVersion: '1.20.2',
    cpuMillicores: 1000,
    memoryMb: 1024,
    storageMb: 1024,
    maxPlayers: 10,
    serverProperties: {},
    ...fields,
  };
}
