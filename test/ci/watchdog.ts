import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * A reporter for unattended runs (CI): the default reporter prints a test file only when it ends, so a
 * file that never ends leaves no trace. This one says, every `MINEFLEET_WATCHDOG_EVERY_S` seconds
 * (default 120), which files have been running longer than that and which of their tests are still
 * open; once a file runs past `MINEFLEET_WATCHDOG_FILE_LIMIT_S` (default 900) it prints the process
 * tree and ends the run with exit code 1, instead of letting it sit until the CI's own time limit.
 */
export default class Watchdog implements Reporter {
  private readonly root = process.cwd();
  private readonly started = new Map<string, number>();
  private readonly openTests = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs = Number(process.env.MINEFLEET_WATCHDOG_EVERY_S ?? 120) * 1000;
  private readonly limitMs = Number(process.env.MINEFLEET_WATCHDOG_FILE_LIMIT_S ?? 900) * 1000;

  onTestRunStart(): void {
    this.timer = setInterval(() => this.check(), this.everyMs);
    this.timer.unref();
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    this.started.delete(module.moduleId);
    this.openTests.delete(module.moduleId);
  }

  onTestCaseReady(test: TestCase): void {
    const open = this.openTests.get(test.module.moduleId) ?? new Map<string, number>();
    open.set(test.fullName, Date.now());
    this.openTests.set(test.module.moduleId, open);
  }

  onTestCaseResult(test: TestCase): void {
    this.openTests.get(test.module.moduleId)?.delete(test.fullName);
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    let overLimit = false;
    for (const [file, since] of this.started) {
      const runningMs = now - since;
      if (runningMs < this.everyMs) continue;
      const tests = [...(this.openTests.get(file) ?? new Map<string, number>())]
        .map(([name, at]) => `${name} (${Math.round((now - at) / 1000)} s)`)
        .join('; ');
      process.stderr.write(
        `watchdog: ${path.relative(this.root, file)} running for ${Math.round(runningMs / 1000)} s; ` +
          `open: ${tests || 'no test (a hook or the file teardown)'}\n`,
      );
      if (runningMs > this.limitMs) overLimit = true;
    }
    if (!overLimit) return;
    try {
      const tree = execFileSync('ps', ['-eo', 'pid,ppid,pgid,etimes,stat,args', '--forest'], {
        encoding: 'utf8',
        timeout: 5000,
      });
      process.stderr.write(`watchdog: process tree\n${tree.split('\n').slice(0, 200).join('\n')}\n`);
    } catch (error) {
      process.stderr.write(`watchdog: ps failed: ${String(error)}\n`);
    }
    process.stderr.write(
      `watchdog: a test file ran longer than ${this.limitMs / 1000} s; ending the run as failed\n`,
    );
    process.exit(1);
  }
}
