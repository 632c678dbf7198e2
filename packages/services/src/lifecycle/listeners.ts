import type { EventSubscription, PlatformEvent } from '@minefleet/domain/ports/event-bus';
import type { RuntimeEvent } from '@minefleet/domain/ports/runtime-driver';
import type { LifecycleCore } from './core.js';
import type { CrashHandler } from './crash.js';
import type { CrashRestarts } from './crash-restarts.js';

/**
 * What the lifecycle listens to: the runtime's events (process exits, console lines to publish) and
 * the status events of every replica (attach to a process another replica started, follow up a crash
 * another replica recorded).
 */
export class Listeners {
  private unsubscribeRuntime: (() => void) | undefined;
  private statusSubscription: EventSubscription | undefined;
  /** Servers an attachment is being made to (after another replica reported them running). */
  private readonly attaching = new Set<string>();

  constructor(
    private readonly core: LifecycleCore,
    private readonly crash: CrashHandler,
    private readonly restarts: CrashRestarts,
  ) {}

  async listen(): Promise<void> {
    this.unsubscribeRuntime = this.core.deps.runtime.onEvent((event) => this.onRuntimeEvent(event));
    this.statusSubscription = await this.core.deps.events.subscribe({ types: ['status'] }, (event) =>
      this.onStatusEvent(event),
    );
  }

  async close(): Promise<void> {
    await this.statusSubscription?.unsubscribe().catch(() => {});
    this.unsubscribeRuntime?.();
  }

  /**
   * Status changes made by any replica (user actions run wherever they arrive): the owner attaches to a
   * process another replica started once it runs (to publish its console and sample it), and schedules
   * the restart of a crash another replica recorded.
   */
  private onStatusEvent(event: PlatformEvent): void {
    if (this.core.stopping || event.type !== 'status' || !this.core.owns(event.serverId)) return;
    const serverId = event.serverId;
    if (event.data.status === 'running' && !this.attaching.has(serverId)) {
      this.attaching.add(serverId);
      this.core.background('attach', serverId, () =>
        this.core.deps.runtime
          .adopt([serverId], { reapUnresponsive: false })
          .finally(() => this.attaching.delete(serverId)),
      );
    } else if (event.data.status === 'crashed' && !this.restarts.has(serverId)) {
      this.core.background('crash follow-up', serverId, () => this.crash.followUp(serverId));
    }
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    if (this.core.stopping) return;
    if (event.type === 'exit') {
      this.core.background('exit', event.serverId, () => this.crash.onExit(event.serverId, event.exit));
      return;
    }
    // Several replicas may be attached to one process; only its owner publishes, so each line is sent once.
    if (!this.core.owns(event.serverId)) return;
    const publish = (tenantId: string) =>
      this.core.deps.events
        .publish({
          type: 'console',
          tenantId,
          serverId: event.serverId,
          ts: event.line.ts.toISOString(),
          data: { level: event.line.level, source: event.line.source, message: event.line.message },
        })
        .catch(() => {});
    const tenantId = this.core.tenants.get(event.serverId);
    if (tenantId) {
      void publish(tenantId);
    } else {
      // First line of a server this process has not loaded yet: look its tenant up once.
      this.core.background('console', event.serverId, async () => {
        const server = await this.core.status.load(event.serverId);
        if (!server) return;
        this.core.tenants.set(server.id, server.tenantId);
        await publish(server.tenantId);
      });
    }
  }
}
