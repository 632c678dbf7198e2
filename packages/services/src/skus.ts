import { asc, eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { skus } from '@minefleet/db/schema';

export type SkuRecord = typeof skus.$inferSelect;

const GiB = 1024 ** 3;

/** The plans a fresh install offers. Seeded once; an operator may change them in the database after. */
export const DEFAULT_SKUS: (typeof skus.$inferInsert)[] = [
  {
    id: 'starter',
    name: 'Starter',
    description: 'For a few friends: 1 vCPU, 1 GB of memory, 10 players.',
    cpuMillicores: 1000,
    memoryMb: 1024,
    storageMb: 5 * 1024,
    maxPlayers: 10,
    monthlyPriceCents: 500,
    currency: 'USD',
    defaultProperties: { difficulty: 'easy', 'view-distance': 8 },
    backupStorageBytes: 5 * GiB,
    sortOrder: 1,
  },
  {
    id: 'standard',
    name: 'Standard',
    description: 'For a community: 2 vCPU, 2 GB of memory, 25 players.',
    cpuMillicores: 2000,
    memoryMb: 2048,
    storageMb: 15 * 1024,
    maxPlayers: 25,
    monthlyPriceCents: 1200,
    currency: 'USD',
    defaultProperties: { difficulty: 'normal', 'view-distance': 10 },
    backupStorageBytes: 15 * GiB,
    sortOrder: 2,
  },
  {
    id: 'performance',
    name: 'Performance',
    description: 'For busy modded worlds: 4 vCPU, 6 GB of memory, 60 players.',
    cpuMillicores: 4000,
    memoryMb: 6144,
    storageMb: 40 * 1024,
    maxPlayers: 60,
    monthlyPriceCents: 3000,
    currency: 'USD',
    defaultProperties: { difficulty: 'normal', 'view-distance': 12 },
    backupStorageBytes: 40 * GiB,
    sortOrder: 3,
  },
];

/** Inserts the default plans that are missing; never overwrites an operator's edits. */
export async function seedSkus(db: Database): Promise<void> {
  await db.system((tx) => tx.insert(skus).values(DEFAULT_SKUS).onConflictDoNothing({ target: skus.id }));
}

export class SkuService {
  constructor(private readonly db: Database) {}

  async list(): Promise<SkuRecord[]> {
    return this.db.system((tx) => tx.select().from(skus).orderBy(asc(skus.sortOrder), asc(skus.id)));
  }

  async find(tx: Tx, id: string): Promise<SkuRecord | undefined> {
    return (await tx.select().from(skus).where(eq(skus.id, id)).limit(1))[0];
  }
}
