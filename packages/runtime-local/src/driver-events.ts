import type { ConsoleLine, ExitInfo, RuntimeEvent } from '@minefleet/domain/ports/runtime-driver';
import type { ConsoleConnection } from './console-connection.js';
import { appendLogLine } from './log-store.js';
import type { ServerFolder } from './server-folder.js';

/** The driver's subscribers to console lines and exits, and the lines Minefleet itself writes. */
export class DriverEvents {
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An event from a game process: dropped once the driver is closed. */
  emit(event: RuntimeEvent): void {
    if (!this.closedFlag) this.deliver(event);
  }

  deliver(event: RuntimeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber must not stop the others or the producer.
      }
    }
  }

  close(): void {
    this.closedFlag = true;
    this.listeners.clear();
  }

  /**
   * A line from Minefleet itself into the server's console log: through the process's console while it
   * runs (it writes its own log), else appended to the log here and delivered.
   */
  async platformLine(
    folder: ServerFolder,
    serverId: string,
    console: ConsoleConnection | null | undefined,
    level: ConsoleLine['level'],
    message: string,
  ): Promise<void> {
    if (console) {
      await console.log(level, message).catch(() => {});
      return;
    }
    const line: ConsoleLine = { ts: new Date(), level, source: 'platform', message };
    await appendLogLine(folder.logsDir, line);
    this.deliver({ type: 'console', serverId, line });
  }
}

/** The console line that records how a process ended. */
export function exitLine(exit: ExitInfo): ConsoleLine {
  const { code, signal } = exit;
  const how = exit.reason
    ? exit.reason.replace(/^was /, '')
    : signal
      ? `killed by ${signal}`
      : code === null
        ? 'ended (exit code unknown)'
        : `exited with code ${code}`;
  return {
    ts: new Date(),
    level: code === 0 ? 'info' : 'warn',
    source: 'platform',
    message: `Process ${how} (generation ${exit.generation})`,
  };
}
