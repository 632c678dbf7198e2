import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { stripLinkToken } from './auth.js';

const request = (url: string) => ({ url }) as IncomingMessage;

describe('stripLinkToken (the rewriteUrl that keeps link tokens out of routing and logs)', () => {
  it('takes the token out of a download URL and keeps the other parameters', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(stripLinkToken(request(`/api/v1/backups/${id}/download?token=abc.def.ghi`))).toBe(
      `/api/v1/backups/${id}/download`,
    );
    expect(stripLinkToken(request(`/api/v1/backups/${id}/download?x=1&token=abc&y=2`))).toBe(
      `/api/v1/backups/${id}/download?x=1&y=2`,
    );
  });

  it('leaves every other URL as it came (a token there is nobody’s to take)', () => {
    for (const url of [
      '/api/v1/backups/1/download',
      '/api/v1/backups/1?token=abc',
      '/api/v1/backups/1/download-link?token=abc',
      '/api/v1/servers?q=download',
    ])
      expect(stripLinkToken(request(url))).toBe(url);
  });
});
