import { DomainError } from '@minefleet/domain/errors';
import type { EventFilter, PlatformEvent, PlatformEventType } from '@minefleet/domain/ports/event-bus';
import { PLATFORM_EVENT_TYPES } from '@minefleet/domain/ports/event-bus';

/** The default subject prefix: events travel as `minefleet.<tenantId>.<serverId>.<type>`. */
export const DEFAULT_SUBJECT_PREFIX = 'minefleet';

// A NATS subject token must not contain the separator, the wildcards or whitespace. Ids are UUIDs
// today; checking here (in every adapter, not only NATS) keeps "works in-process, breaks on NATS" and
// subject injection (a tenant id of `>` would subscribe to everything) impossible.
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}

function assertToken(field: string, value: unknown): void {
  if (typeof value !== 'string' || !isSubjectToken(value)) {
    throw new DomainError('VALIDATION_FAILED', `Event ${field} is not a valid subject token.`, {
      field,
    });
  }
}

function isEventType(value: unknown): value is PlatformEventType {
  return (PLATFORM_EVENT_TYPES as readonly unknown[]).includes(value);
}

/** Throws VALIDATION_FAILED unless the event can be routed by every adapter. */
export function assertRoutableEvent(event: PlatformEvent): void {
  assertToken('tenantId', event.tenantId);
  assertToken('serverId', event.serverId);
  if (!isEventType(event.type)) {
    throw new DomainError('VALIDATION_FAILED', 'Unknown event type.', { field: 'type' });
  }
}

/** Throws VALIDATION_FAILED unless every id and type of the filter is routable. */
export function assertValidFilter(filter: EventFilter): void {
  if (filter.tenantId !== undefined) assertToken('tenantId', filter.tenantId);
  if (filter.serverId !== undefined) assertToken('serverId', filter.serverId);
  for (const type of filter.types ?? []) {
    if (!isEventType(type)) {
      throw new DomainError('VALIDATION_FAILED', 'Unknown event type in filter.', { field: 'types' });
    }
  }
}

/** The subject an event is published on. */
export function eventSubject(prefix: string, event: PlatformEvent): string {
  return `${prefix}.${event.tenantId}.${event.serverId}.${event.type}`;
}

/**
 * The narrowest single subject covering a filter. Several types become `*` and are filtered in the
 * client: a consumer with several filter subjects needs NATS 2.10, and Debian ships 2.9.
 */
export function filterSubject(prefix: string, filter: EventFilter): string {
  const type = filter.types?.length === 1 ? filter.types[0]! : '*';
  return `${prefix}.${filter.tenantId ?? '*'}.${filter.serverId ?? '*'}.${type}`;
}

/** Splits a received subject back into its parts; null if it is not one of ours. */
export function parseSubject(
  prefix: string,
  subject: string,
): { tenantId: string; serverId: string; type: PlatformEventType } | null {
  if (!subject.startsWith(`${prefix}.`)) return null;
  const parts = subject.slice(prefix.length + 1).split('.');
  if (parts.length !== 3) return null;
  const [tenantId, serverId, type] = parts as [string, string, string];
  if (!isEventType(type)) return null;
  return { tenantId, serverId, type };
}
