import { DomainError } from '@minefleet/domain/errors';
import type { ScheduleAction } from '@minefleet/domain/enums';
import {
  assertCompression,
  assertDescription,
  assertTags,
  RETAIN_DAYS_MAX,
} from '../backups/backup-input.js';
import { assertCommand } from '../lifecycle/lifecycle-service.js';

/** What each action takes in `payload`. */
export interface BackupPayload {
  compression?: string;
  tags?: string[];
  description?: string;
  retain_days?: number;
}
export interface RestartPayload {
  announce?: string;
  graceful_timeout_seconds?: number;
}
export interface CommandPayload {
  command: string;
}

const ALLOWED: Record<ScheduleAction, readonly string[]> = {
  backup: ['compression', 'tags', 'description', 'retain_days'],
  restart: ['announce', 'graceful_timeout_seconds'],
  command: ['command'],
};

function invalid(message: string, field: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { field: `payload.${field}` });
}

/**
 * Checks a schedule's payload against its action when the schedule is saved, so a run never fails on
 * input that could have been refused at once. Unknown keys are refused (a typo would otherwise be
 * silently ignored at 3 a.m.).
 */
export function validatePayload(
  action: ScheduleAction,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  for (const key of Object.keys(payload)) {
    if (!ALLOWED[action].includes(key)) {
      throw invalid(`A ${action} schedule takes ${ALLOWED[action].join(', ')} in its payload.`, key);
    }
  }
  switch (action) {
    case 'backup': {
      const p = payload as Record<keyof BackupPayload, unknown>;
      if (p.compression !== undefined) {
        if (typeof p.compression !== 'string') throw invalid('compression is a string.', 'compression');
        assertCompression(p.compression);
      }
      if (p.tags !== undefined) {
        if (!Array.isArray(p.tags) || p.tags.some((t) => typeof t !== 'string'))
          throw invalid('tags is a list of strings.', 'tags');
        assertTags(p.tags as string[]);
      }
      if (p.description !== undefined) {
        if (typeof p.description !== 'string') throw invalid('description is a string.', 'description');
        assertDescription(p.description);
      }
      if (
        p.retain_days !== undefined &&
        (!Number.isInteger(p.retain_days) ||
          (p.retain_days as number) < 1 ||
          (p.retain_days as number) > RETAIN_DAYS_MAX)
      ) {
        throw invalid(`retain_days is a whole number from 1 to ${RETAIN_DAYS_MAX}.`, 'retain_days');
      }
      return payload;
    }
    case 'restart': {
      const p = payload as Record<keyof RestartPayload, unknown>;
      if (p.announce !== undefined && (typeof p.announce !== 'string' || p.announce.length > 200))
        throw invalid('announce is a string of at most 200 characters.', 'announce');
      if (
        p.graceful_timeout_seconds !== undefined &&
        (!Number.isInteger(p.graceful_timeout_seconds) ||
          (p.graceful_timeout_seconds as number) < 1 ||
          (p.graceful_timeout_seconds as number) > 600)
      )
        throw invalid(
          'graceful_timeout_seconds is a whole number from 1 to 600.',
          'graceful_timeout_seconds',
        );
      return payload;
    }
    case 'command': {
      const p = payload as Record<keyof CommandPayload, unknown>;
      if (typeof p.command !== 'string')
        throw invalid('A command schedule needs payload.command.', 'command');
      return { command: assertCommand(p.command) };
    }
  }
}
