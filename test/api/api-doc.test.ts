import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  API_DOC,
  OPENAPI,
  renderApiDoc,
  renderGenerated,
  type OpenApiDocument,
} from '../../scripts/api-doc.js';

describe('docs/api.md', () => {
  it('holds the route and object tables the OpenAPI document gives (npx tsx scripts/api-doc.ts)', async () => {
    const committed = await readFile(API_DOC, 'utf8');
    const doc = JSON.parse(await readFile(OPENAPI, 'utf8')) as OpenApiDocument;
    expect(await renderApiDoc(committed, doc)).toBe(committed);
  });

  it('lists every operation of the document exactly once', async () => {
    const doc = JSON.parse(await readFile(OPENAPI, 'utf8')) as OpenApiDocument;
    const generated = renderGenerated(doc);
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        operations++;
        const row = `| \`${method.toUpperCase()}\` | \`${path.replace(/^\/api\/v1/, '')}\` |`;
        expect(generated.split(row).length - 1, `${method} ${path}`).toBe(1);
      }
    }
    expect(operations).toBeGreaterThan(40);
  });
});
