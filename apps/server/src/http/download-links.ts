import { Type } from '@sinclair/typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type { Actor } from '@minefleet/services/actor';
import type { LinkScope } from '@minefleet/services/tokens';
import { Timestamp } from './schemas/common.js';

/**
 * Download links: a URL a browser can GET without an Authorization header (it cannot send one on a
 * download). The issuing route binds the token to a purpose and a resource; the download route declares
 * the same in `config.link` (auth.ts), so a link opens that one download and nothing else.
 */

/** How long a download link works: enough to start the download, short enough to be worthless later. */
export const LINK_TTL_SECONDS = 300;

/** The `?token=` a download route accepts. */
export const LinkToken = Type.String({ maxLength: 4096, description: 'A link token from `download-link`.' });

export const DownloadLink = Type.Object({
  url: Type.String({ description: 'Path of the download with its link token; GET it without a header.' }),
  expires_at: Timestamp,
});

/** A link to the download at `path` (below /api/v1) with `query`, for the actor and `scope`. */
export function issueDownloadLink(
  accounts: AccountService,
  actor: Actor,
  scope: LinkScope,
  path: string,
  query: Record<string, string> = {},
) {
  const link = accounts.issueLink(actor, scope, LINK_TTL_SECONDS);
  const search = new URLSearchParams({ ...query, token: link.token });
  return { url: `/api/v1${path}?${search.toString()}`, expires_at: link.expiresAt.toISOString() };
}
