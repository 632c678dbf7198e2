// Writes docs/errors.md from the error catalogue and the status table (run: npx tsx scripts/errors-doc.ts).
import { writeFileSync } from 'node:fs';
import { ERROR_CATALOGUE, ERROR_CODES } from '../packages/domain/src/errors.js';
import { ERROR_STATUS } from '../apps/server/src/http/error-status.js';

const rows = ERROR_CODES.map((code) => `| \`${code}\` | ${ERROR_STATUS[code]} | ${ERROR_CATALOGUE[code]} |`);
writeFileSync(
  new URL('../docs/errors.md', import.meta.url),
  `# Error codes

Every error answer of the API has the shape

\`\`\`json
{ "error": { "code": "SERVER_NOT_FOUND", "message": "No such server.", "details": { "id": "…" }, "request_id": "…" } }
\`\`\`

\`code\` is stable: clients (and tests) branch on it, never on \`message\`. \`details\` carries structured
context where it helps (the failing field, the quota and its limit, the dependency chain of a conflict).
\`request_id\` matches the \`x-request-id\` header and the control plane's logs.

A resource of another tenant answers exactly like a missing one (404).

| code | HTTP status | meaning |
|---|---|---|
${rows.join('\n')}

This table is generated from \`packages/domain/src/errors.ts\` and \`apps/server/src/http/error-status.ts\`
(\`npx tsx scripts/errors-doc.ts\`); a test fails when they disagree.
`,
);
