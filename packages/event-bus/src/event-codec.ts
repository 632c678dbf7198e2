import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { parseSubject } from './event-subjects.js';

/** Events cross the wire as the JSON of the envelope; the subject repeats the routing fields. */
export function encodeEvent(event: PlatformEvent): string {
  return JSON.stringify(event);
}

/**
 * Decodes a received message, refusing anything whose envelope disagrees with its subject: the
 * subject is what consumers were filtered on, so an envelope claiming another tenant must never pass.
 */
export function decodeEvent(prefix: string, subject: string, body: string): PlatformEvent {
  const route = parseSubject(prefix, subject);
  if (!route) throw new Error(`Not an event subject: ${subject}`);
  const value = JSON.parse(body) as Partial<PlatformEvent> | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    value.type !== route.type ||
    value.tenantId !== route.tenantId ||
    value.serverId !== route.serverId ||
    typeof value.ts !== 'string' ||
    typeof value.data !== 'object' ||
    value.data === null
  ) {
    throw new Error(`Event body does not match its subject ${subject}`);
  }
  return value as PlatformEvent;
}
