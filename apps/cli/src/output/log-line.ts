import type { Schemas } from '@minefleet/api-client/client';
import type { Style } from './style.js';
import { formatTimestamp } from './time.js';

type LogLine = Schemas['LogLine'];

/** "2025-01-02 13:04:05.123 INFO  message", with `>` marking commands sent to the console. */
export function formatLogLine(line: LogLine, style: Style): string {
  const level = line.level.toUpperCase().padEnd(5);
  const coloured =
    line.level === 'error' || line.level === 'fatal'
      ? style.red(level)
      : line.level === 'warn'
        ? style.yellow(level)
        : line.level === 'info'
          ? style.green(level)
          : style.dim(level);
  const marker = line.source === 'command' ? '> ' : line.source === 'platform' ? '[minefleet] ' : '';
  // A console line is one line: an embedded line break from the game must not forge another entry.
  const message = line.message.replace(/\r\n|\r|\n/g, '\\n');
  return `${style.dim(formatTimestamp(line.ts))} ${coloured} ${marker}${message}\n`;
}
