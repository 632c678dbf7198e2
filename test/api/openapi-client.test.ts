import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { currentOpenApiDocument, renderClientTypes } from '../../scripts/gen-api-client.js';

describe('generated API client', () => {
  it('is generated from the current route schemas (run scripts/gen-api-client.ts after changing a route)', async () => {
    const doc = await currentOpenApiDocument();
    const committed = JSON.parse(
      await readFile(new URL('../../packages/api-client/openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(doc)));
    const types = await readFile(
      new URL('../../packages/api-client/src/openapi.gen.ts', import.meta.url),
      'utf8',
    );
    expect(types).toBe(await renderClientTypes(doc));
  });
});
