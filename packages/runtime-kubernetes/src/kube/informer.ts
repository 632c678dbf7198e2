// List + watch with a cache, shared by the operator (its informers) and the Kubernetes runtime driver (its
// watch on MinecraftServer resources): one implementation of the resourceVersion, bookmark and relist rules.
import type { KubeApi, WatchEvent } from './client.js';
import { KubeError } from './client.js';

/** The two log levels an informer writes; the operator's structured logger fits. */
export interface InformerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface ObjectMetaLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export type ChangeType = 'added' | 'modified' | 'deleted' | 'resync';

export interface InformerOptions<T> {
  api: KubeApi;
  /** Collection path, e.g. /apis/apps/v1/statefulsets or /api/v1/namespaces/x/pods. */
  path: string;
  /** What the informer watches, for logs and metrics. */
  resource: string;
  labelSelector?: string;
  /** Every object is handed to onChange again this often (level-triggered safety net). */
  resyncMs: number;
  pageSize?: number;
  log: InformerLog;
  /** `previous` is the cached copy an update replaced (undefined for adds, deletes and resyncs). */
  onChange: (object: T, change: ChangeType, previous?: T) => void;
  /** Keeps only what the operator reads of each object (a smaller cache at thousands of servers). */
  transform?: (object: T) => T;
  /** A watch ended with an error and is restarted (`Expired` = 410 Gone → relist). */
  onRestart?: (reason: string) => void;
}

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

export const keyOf = (o: ObjectMetaLike) =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata?.name}`;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * List + watch with a local cache: a paginated list, then a watch from the list's resourceVersion with
 * bookmarks (so a reconnect resumes from a recent version). A 410 Gone (the version fell out of the
 * API server's window) relists; any other failure re-watches from the last version after a backoff.
 * A periodic resync hands every cached object to onChange again.
 */
export class Informer<T extends ObjectMetaLike> {
  private readonly store = new Map<string, T>();
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private synced = false;
  private running: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private firstSync!: { resolve: () => void; reject: (e: unknown) => void; promise: Promise<void> };

  constructor(private readonly o: InformerOptions<T>) {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    this.firstSync = { resolve, reject, promise };
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts list+watch; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.running ??= this.loop();
    this.resyncTimer = setInterval(() => {
      for (const object of this.store.values()) this.o.onChange(object, 'resync');
    }, this.o.resyncMs);
    this.resyncTimer.unref();
    return this.firstSync.promise;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.resyncTimer);
    await this.running;
  }

  private async relist(): Promise<void> {
    const seen = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.api.request<ListPage<T>>('GET', this.o.path, {
        query: { labelSelector: this.o.labelSelector, limit: this.o.pageSize ?? 500, continue: cont },
        signal: this.abort.signal,
      });
      for (const item of page.items) seen.set(keyOf(item), this.o.transform ? this.o.transform(item) : item);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.o.onChange(old, 'deleted');
      }
    }
    for (const [key, object] of seen) {
      const before = this.store.get(key);
      this.store.set(key, object);
      if (before?.metadata?.resourceVersion !== object.metadata?.resourceVersion)
        this.o.onChange(object, before ? 'modified' : 'added', before);
    }
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      this.firstSync.resolve();
    }
  }

  private handle(event: WatchEvent<T>): void {
    const object =
      this.o.transform && event.type !== 'BOOKMARK' && event.type !== 'ERROR'
        ? this.o.transform(event.object)
        : event.object;
    switch (event.type) {
      case 'BOOKMARK':
        this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
        return;
      case 'ERROR': {
        const status = object as unknown as { code?: number; reason?: string; message?: string };
        throw new KubeError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error');
      }
      case 'ADDED':
      case 'MODIFIED': {
        const before = this.store.get(keyOf(object));
        this.store.set(keyOf(object), object);
        this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
        this.o.onChange(object, event.type === 'ADDED' ? 'added' : 'modified', before);
        return;
      }
      case 'DELETED':
        this.store.delete(keyOf(object));
        break;
    }
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
    this.o.onChange(object, 'deleted');
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (!this.resourceVersion) await this.relist();
        // The server ends a watch after timeoutSeconds; spreading the timeouts avoids reconnect storms.
        const timeoutSeconds = 240 + Math.floor(Math.random() * 120);
        const watchAbort = new AbortController();
        const onStop = () => watchAbort.abort();
        this.abort.signal.addEventListener('abort', onStop, { once: true });
        try {
          await this.o.api.watch<T>(
            this.o.path,
            {
              resourceVersion: this.resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds,
              labelSelector: this.o.labelSelector,
            },
            (event) => {
              try {
                this.handle(event);
              } catch (error) {
                watchAbort.abort(error);
              }
            },
            watchAbort.signal,
          );
        } catch (error) {
          throw watchAbort.signal.reason instanceof KubeError ? watchAbort.signal.reason : error;
        } finally {
          this.abort.signal.removeEventListener('abort', onStop);
        }
        if (watchAbort.signal.reason instanceof KubeError) throw watchAbort.signal.reason;
        failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        const gone = error instanceof KubeError && error.status === 410;
        const reason = gone
          ? 'Expired'
          : error instanceof KubeError
            ? error.reason || `HTTP${error.status}`
            : String((error as { code?: string }).code ?? 'Error');
        this.o.onRestart?.(reason);
        if (gone) {
          // Too old: start again from a fresh list (objects deleted meanwhile are reported then).
          this.resourceVersion = '';
          this.o.log.info('watch expired, relisting', { resource: this.o.resource });
          continue;
        }
        failures += 1;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7)) * (0.8 + Math.random() * 0.4);
        this.o.log.warn('watch failed, retrying', {
          resource: this.o.resource,
          reason,
          delayMs: Math.round(delay),
          error: (error as Error).message,
        });
        await sleep(delay, this.abort.signal);
      }
    }
  }
}
