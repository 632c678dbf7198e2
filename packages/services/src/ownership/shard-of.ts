/**
 * The ownership shard of a server: FNV-1a (32-bit) of its id modulo the shard count. Stable across
 * replicas and restarts (every replica must compute the same answer), cheap, and even for UUIDs.
 */
export function shardOf(serverId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < serverId.length; i++) {
    hash ^= serverId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
