import type { AuditOutcome } from '@minefleet/domain/enums';

/** One audit record as services write it (audit.ts stores it; failed-sign-ins.ts counts failures). */
export interface AuditEntry {
  tenantId?: string | null;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  serverId?: string | null;
  outcome: AuditOutcome;
  statusCode?: number | null;
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown> | null;
}
