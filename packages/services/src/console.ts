import type { EventBus, EventSubscription, PlatformEvent } from '@minefleet/domain/ports/event-bus';
import type { LogPage, LogQuery, RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Actor } from './actor.js';
import type { LifecycleService } from './lifecycle/lifecycle-service.js';

/** Reading a server's console: captured logs and the live stream. Both need console.read. */
export class ConsoleService {
  constructor(
    private readonly deps: { lifecycle: LifecycleService; runtime: RuntimeDriver; events: EventBus },
  ) {}

  async logs(actor: Actor, serverId: string, query: LogQuery): Promise<LogPage> {
    await this.deps.lifecycle.authorize(actor, serverId, 'console.read');
    return this.deps.runtime.readLogs(serverId, query);
  }

  /** Live console lines and status changes of one server, for the actor's tenant only. */
  async stream(
    actor: Actor,
    serverId: string,
    handler: (event: PlatformEvent) => void,
  ): Promise<EventSubscription> {
    await this.deps.lifecycle.authorize(actor, serverId, 'console.read');
    return this.deps.events.subscribe(
      { tenantId: actor.tenantId, serverId, types: ['console', 'status'] },
      handler,
    );
  }
}
