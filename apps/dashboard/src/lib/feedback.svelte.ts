import { describeError, type ShownError } from './errors.js';

/**
 * What a page's or card's last action said: an error, or a notice of what it did. One home for the
 * "clear both, try the action, show what came of it" step that account forms share.
 */
export class Feedback {
  error = $state<ShownError | undefined>(undefined);
  notice = $state<string | undefined>(undefined);

  /** Runs `action`, then shows `done` or the error it failed with (never thrown). */
  async run(action: () => Promise<unknown>, done: string): Promise<void> {
    this.error = undefined;
    this.notice = undefined;
    try {
      await action();
      this.notice = done;
    } catch (e) {
      this.error = describeError(e);
    }
  }

  /** Shows a failure that is not an action's (a load). */
  fail(e: unknown): void {
    this.error = describeError(e);
  }
}
