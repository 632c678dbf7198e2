// @ts-check
'use strict';
// A correct saveNow for prismarine-world's World (flying-squid's world), installed on the overworld.
//
// Why: prismarine-world 3.x clears its saving queue *after* awaiting the writes. A block changed while a
// save is in flight re-queues its chunk (same key), and the clear then drops it: the change never reaches
// disk unless the chunk changes again. Seen here as a block placed just before a stop that was gone after
// the restart, under load (the 1 s periodic save was mid-write). Also, two saveNow calls (periodic save,
// save-all, stop) could write at the same time. This version takes the batch and empties the queue
// *before* writing (later changes queue again), and runs one batch at a time.

/**
 * The parts of prismarine-world's World this replacement uses (the package has no type declarations).
 * @typedef {{ chunkX: number, chunkZ: number }} ColumnKey
 * @typedef {object} PrismarineWorld
 * @property {{ save(x: number, z: number, column: unknown): Promise<void> } | undefined} storageProvider
 * @property {Map<string, ColumnKey>} savingQueue
 * @property {Map<string, ColumnKey>} unloadQueue
 * @property {Record<string, unknown>} columns
 * @property {(key: string, x: number, z: number) => void} forceUnloadColumn
 * @property {(event: string) => void} emit
 * @property {() => Promise<void>} saveNow
 * @property {Promise<void>} finishedSaving
 */

/** @param {PrismarineWorld} world */
function installWorldSave(world) {
  /** @type {Promise<void>} */
  let chain = Promise.resolve();
  world.saveNow = function saveNow() {
    const run = chain.then(async () => {
      if (!world.storageProvider || world.savingQueue.size === 0) return;
      const batch = [...world.savingQueue.entries()];
      world.savingQueue.clear();
      // storageProvider.save serialises the column synchronously when called, so later edits and
      // unloads cannot change what this batch writes.
      await Promise.all(
        batch.map(([key, { chunkX, chunkZ }]) =>
          world.columns[key] ? world.storageProvider?.save(chunkX, chunkZ, world.columns[key]) : undefined,
        ),
      );
      for (const [key, { chunkX, chunkZ }] of [...world.unloadQueue.entries()]) {
        if (!world.savingQueue.has(key)) world.forceUnloadColumn(key, chunkX, chunkZ);
      }
      world.emit('doneSaving');
    });
    chain = run.catch(() => {}); // one failed batch must not block every later save
    world.finishedSaving = chain;
    return run;
  };
}

module.exports = { installWorldSave };
