import { AsyncLocalStorage } from 'node:async_hooks';

/** What follows a request through everything it causes, including work that outlives the answer. */
export interface RequestContext {
  requestId: string;
}

/**
 * Carries the HTTP request id (or a WebSocket message's id) through asynchronous work: the logger adds
 * it to every line written on the request's behalf (also by the lifecycle's background work the request
 * started, since promises keep their context), and runtime operations log it. One instance, made by the
 * composition root and handed to the HTTP app, the logger and the instrumented runtime.
 */
export class RequestContexts {
  private readonly storage = new AsyncLocalStorage<RequestContext>();

  run<T>(context: RequestContext, fn: () => T): T {
    return this.storage.run(context, fn);
  }

  current(): RequestContext | undefined {
    return this.storage.getStore();
  }

  /**
   * For pino's `mixin`: `{ requestId }` inside a request's work, nothing outside. (Not `reqId`: Fastify's
   * own request logger binds that one, and a line would carry the key twice.)
   */
  logFields(): { requestId?: string } {
    const context = this.storage.getStore();
    return context ? { requestId: context.requestId } : {};
  }
}
