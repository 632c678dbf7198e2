/**
 * Pulls up to `depth` items from `source` ahead of the consumer. An async generator pipeline is
 * otherwise strictly alternating: the disk read of the next chunk waits for the write of the previous
 * one. With a small bounded queue between stages both run at once (they are on libuv's thread pool),
 * and memory stays bounded at `depth` chunks.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fill = (): void => {
    while (!done && queue.length < depth) {
      const next = iterator.next();
      // Errors are delivered when the consumer reaches this item; keep them from going unhandled.
      next.catch(() => undefined);
      queue.push(next);
      // Stop asking once the source says it is done (the result tells; until then keep the queue full).
      void next.then(
        (result) => {
          if (result.done === true) done = true;
        },
        () => {
          done = true;
        },
      );
    }
  };
  let finished = false;
  try {
    for (;;) {
      fill();
      const result = await queue.shift()!;
      if (result.done === true) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) {
      // Stopped early or failed: let in-flight reads settle, then close the source.
      await Promise.allSettled(queue);
      await iterator.return?.();
    }
  }
}
