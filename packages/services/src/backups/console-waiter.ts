import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';

interface Expectation {
  pattern: RegExp;
  resolve: (line: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Sends console commands to one server and waits for the game's answer (`Saved the game`, `Automatic
 * saving is now disabled`). The expectation is registered before the command is written, so an answer
 * that comes back faster than the write resolves is not missed. Echoes of commands are ignored: only
 * the game's own output counts.
 */
export class ConsoleWaiter {
  private readonly expectations = new Set<Expectation>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly runtime: RuntimeDriver,
    private readonly serverId: string,
  ) {
    this.unsubscribe = runtime.onEvent((event) => {
      if (event.type !== 'console' || event.serverId !== serverId || event.line.source === 'command') return;
      for (const expectation of [...this.expectations]) {
        if (!expectation.pattern.test(event.line.message)) continue;
        this.settle(expectation);
        expectation.resolve(event.line.message);
      }
    });
  }

  /** Writes `command` and resolves with the first line matching `answer` within `timeoutMs`. */
  async command(command: string, answer: RegExp, timeoutMs: number): Promise<string> {
    const answered = new Promise<string>((resolve, reject) => {
      const expectation: Expectation = {
        pattern: answer,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(expectation);
          reject(new Error(`The server did not answer "${command}" within ${timeoutMs} ms.`));
        }, timeoutMs),
      };
      this.expectations.add(expectation);
    });
    // The expectation must not reject unobserved if the write itself fails.
    answered.catch(() => undefined);
    await this.runtime.sendCommand(this.serverId, command);
    return answered;
  }

  close(): void {
    this.unsubscribe();
    for (const expectation of [...this.expectations]) {
      this.settle(expectation);
      expectation.reject(new Error('closed'));
    }
  }

  private settle(expectation: Expectation): void {
    clearTimeout(expectation.timer);
    this.expectations.delete(expectation);
  }
}
