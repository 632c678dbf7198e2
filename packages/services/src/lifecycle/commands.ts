import { DomainError } from '@minefleet/domain/errors';

export const COMMAND_MAX_LENGTH = 1000;

/** A console command is one line: a newline would smuggle a second command in. */
export function assertCommand(command: string): string {
  const trimmed = command.trim();
  if (trimmed.length === 0 || trimmed.length > COMMAND_MAX_LENGTH) {
    throw new DomainError('VALIDATION_FAILED', `A command is 1–${COMMAND_MAX_LENGTH} characters.`, {
      field: 'command',
    });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'A command must be a single line without control characters.',
      {
        field: 'command',
      },
    );
  }
  return trimmed.replace(/^\//, '');
}

/** Text announced to players: one line, bounded. */
export function announcement(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}
