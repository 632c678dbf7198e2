import type { servers } from '@minefleet/db/schema';

/** A row of the `servers` table, as services pass it around. */
export type ServerRecord = typeof servers.$inferSelect;
