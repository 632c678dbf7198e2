// Writes the generated parts of docs/api.md from the OpenAPI document the control plane publishes
// (packages/api-client/openapi.json, kept current by scripts/gen-api-client.ts).
// Run: npx tsx scripts/api-doc.ts. test/api/api-doc.test.ts fails when the committed page differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  items?: Schema;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** The order of the sections: the order a user meets them in. */
const TAG_TITLES: Record<string, string> = {
  meta: 'Health',
  accounts: 'Accounts, API keys and members',
  plans: 'Plans and distributions',
  servers: 'Servers',
  config: 'Settings and revisions',
  power: 'Power',
  console: 'Console and logs',
  plugins: 'Plugins',
  metrics: 'Metrics and player sessions',
  audit: 'Audit log',
  backups: 'Backups',
  schedules: 'Schedules',
};
/** The objects a reader looks up most; every other schema is in the OpenAPI document. */
const OBJECTS = ['Server', 'Sku', 'Backup', 'Schedule', 'PluginInstallation', 'Member', 'ApiKey', 'LogLine'];

const BEGIN = '<!-- BEGIN GENERATED: scripts/api-doc.ts -->';
const END = '<!-- END GENERATED -->';

/** Markdown table cell text: no line breaks, pipes escaped. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

function typeOf(schema: Schema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop() ?? '';
  if (schema.anyOf) {
    const types = schema.anyOf.map(typeOf);
    const nonNull = types.filter((t) => t !== 'null');
    return nonNull.length < types.length ? `${nonNull.join(' \\| ')} or null` : types.join(' \\| ');
  }
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  if (schema.format === 'uuid' || schema.format === 'date-time') return `${schema.type} (${schema.format})`;
  return schema.type ?? 'any';
}

function limits(schema: Schema | undefined): string {
  if (!schema) return '';
  const parts: string[] = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    parts.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} chars`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? '−∞'}…${schema.maximum ?? '∞'}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

function routeRows(doc: OpenApiDocument, tag: string): string[] {
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op || (op.tags?.[0] ?? 'other') !== tag) continue;
      const statuses = Object.keys(op.responses ?? {});
      const success = statuses.filter((s) => s.startsWith('2') || s.startsWith('3')).join(', ');
      const errors = statuses.filter((s) => s.startsWith('4') || s.startsWith('5')).join(', ');
      const auth = Array.isArray(op.security) && op.security.length === 0 ? 'public' : 'bearer';
      rows.push(
        `| \`${method.toUpperCase()}\` | \`${path.replace(/^\/api\/v1/, '')}\` | ${cell(op.summary ?? '')} | ${success} | ${errors} | ${auth} |`,
      );
    }
  }
  return rows;
}

function objectTable(name: string, schema: Schema): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(
    ([field, s]) =>
      `| \`${field}\` | ${cell(typeOf(s))} | ${required.has(field) ? 'yes' : 'no'} | ${cell(
        [s.description, limits(s)].filter(Boolean).join('; '),
      )} |`,
  );
  return [`### ${name}`, '', '| field | type | always present | notes |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** The generated part of docs/api.md: one route table per tag, then the main objects. */
export function renderGenerated(doc: OpenApiDocument): string {
  const tags = new Set<string>();
  for (const operations of Object.values(doc.paths))
    for (const method of METHODS) {
      const op = operations[method];
      if (op) tags.add(op.tags?.[0] ?? 'other');
    }
  const ordered = [
    ...Object.keys(TAG_TITLES).filter((t) => tags.has(t)),
    ...[...tags].filter((t) => !(t in TAG_TITLES)).sort(),
  ];
  const sections = ordered.map((tag) =>
    [
      `### ${TAG_TITLES[tag] ?? tag}`,
      '',
      '| method | path | what it does | success | errors | auth |',
      '|---|---|---|---|---|---|',
      ...routeRows(doc, tag),
    ].join('\n'),
  );
  const schemas = doc.components?.schemas ?? {};
  const objects = OBJECTS.filter((name) => schemas[name]).map((name) => objectTable(name, schemas[name]!));
  return [
    BEGIN,
    '',
    '## Routes',
    '',
    'Paths are under `/api/v1`. "success" and "errors" are the HTTP statuses a route answers (the error',
    'codes behind each status are in [errors.md](errors.md)); "public" routes need no token.',
    '',
    sections.join('\n\n'),
    '',
    '## Objects',
    '',
    'The main objects as the API returns them; every other schema is in the OpenAPI document.',
    '',
    objects.join('\n\n'),
    '',
    END,
  ].join('\n');
}

export const API_DOC = new URL('../docs/api.md', import.meta.url);
export const OPENAPI = new URL('../packages/api-client/openapi.json', import.meta.url);

/**
 * docs/api.md with its generated part replaced by what the OpenAPI document says now, formatted the way
 * `npm run format` leaves it (so formatting the docs never makes the page differ from the generator).
 */
export async function renderApiDoc(current: string, doc: OpenApiDocument): Promise<string> {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start === -1 || end === -1 || end < start)
    throw new Error('docs/api.md lacks the generated-part markers');
  const text = current.slice(0, start) + renderGenerated(doc) + current.slice(end + END.length);
  const file = fileURLToPath(API_DOC);
  return format(text, { ...(await resolveConfig(file)), filepath: file });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const doc = JSON.parse(readFileSync(OPENAPI, 'utf8')) as OpenApiDocument;
  writeFileSync(API_DOC, await renderApiDoc(readFileSync(API_DOC, 'utf8'), doc));
  process.stdout.write('wrote docs/api.md\n');
}
