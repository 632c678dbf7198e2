import { parse as parseToml, patch as patchToml } from '@decimalturn/toml-patch';
import { Composer, CST, Parser, Scalar, isScalar, type Document } from 'yaml';
import { DomainError } from '@minefleet/domain/errors';

/**
 * Structured editing of YAML and TOML configuration files (Paper, Spigot, Bukkit, Velocity, plugins)
 * that keeps everything else of the file as it was: YAML is edited in its concrete syntax tree (only
 * the changed scalar's characters change), TOML through toml-patch (which re-renders only what
 * changed). Saving without a change gives the same bytes; comments and layout survive.
 */
export const CONFIG_FORMATS = ['yaml', 'toml'] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

export type ConfigValue = string | number | boolean | null;
export type ConfigKey = (string | number)[];

export interface ConfigEdit {
  key: ConfigKey;
  value: ConfigValue;
}

export function configFormatOf(rel: string): ConfigFormat | null {
  const lower = rel.toLowerCase();
  if (lower.endsWith('.yml') || lower.endsWith('.yaml')) return 'yaml';
  if (lower.endsWith('.toml')) return 'toml';
  return null;
}

function invalid(message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('INVALID_CONFIG_FILE', message, details);
}

interface YamlSource {
  tokens: ReturnType<Parser['parse']> extends Iterable<infer T> ? T[] : never;
  doc: Document.Parsed;
}

function parseYaml(text: string): YamlSource {
  const tokens = Array.from(new Parser().parse(text));
  const docs = Array.from(new Composer({ keepSourceTokens: true }).compose(tokens));
  const doc = docs[0];
  if (!doc) return { tokens, doc: new Composer().compose(new Parser().parse('{}')).next().value! };
  if (doc.errors.length > 0)
    throw invalid(`The YAML does not parse: ${doc.errors[0]!.message}`, {
      line: doc.errors[0]!.linePos?.[0]?.line,
    });
  if (docs.length > 1) throw invalid('Files with several YAML documents are edited as text.');
  return { tokens, doc };
}

/** The file's values as plain data. */
export function readConfig(text: string, format: ConfigFormat): unknown {
  if (format === 'yaml') return parseYaml(text).doc.toJS();
  try {
    return JSON.parse(JSON.stringify(parseToml(text))) as unknown;
  } catch (error) {
    throw invalid(`The TOML does not parse: ${(error as Error).message}`);
  }
}

function keyText(key: ConfigKey): string {
  return key.map(String).join('.');
}

function sameValue(a: unknown, b: ConfigValue): boolean {
  return a === b || (a === undefined && b === null);
}

function editYaml(text: string, edits: ConfigEdit[]): string {
  let current = text;
  for (const edit of edits) {
    const { doc } = parseYaml(current);
    const node = doc.getIn(edit.key, true);
    if (!isScalar(node) || !node.srcToken) {
      throw invalid(`"${keyText(edit.key)}" is not an existing single value; change it in the text editor.`, {
        key: edit.key,
      });
    }
    if (sameValue(node.toJS(doc), edit.value)) continue;
    const raw = edit.value === null ? 'null' : String(edit.value);
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
    // Plain where it reads back as the same value; quoted otherwise (a string "true", "1", "a: b").
    const attempts =
      typeof edit.value === 'string' && quoted ? [node.type] : [Scalar.PLAIN, Scalar.QUOTE_DOUBLE];
    let done: string | undefined;
    for (const type of attempts) {
      // A fresh tree per attempt: setScalarValue changes the tokens in place.
      const fresh = parseYaml(current);
      const target = fresh.doc.getIn(edit.key, true) as Scalar;
      CST.setScalarValue(target.srcToken!, raw, { type: type as Scalar.Type });
      const candidate = fresh.tokens.map((t) => CST.stringify(t)).join('');
      try {
        if (sameValue(parseYaml(candidate).doc.getIn(edit.key), edit.value)) {
          done = candidate;
          break;
        }
      } catch {
        // try the next style
      }
    }
    if (done === undefined)
      throw invalid(`"${keyText(edit.key)}" cannot hold ${JSON.stringify(edit.value)} here.`, {
        key: edit.key,
      });
    current = done;
  }
  return current;
}

function editToml(text: string, edits: ConfigEdit[]): string {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw invalid(`The TOML does not parse: ${(error as Error).message}`);
  }
  for (const edit of edits) {
    let parent: Record<string | number, unknown> = data;
    for (const part of edit.key.slice(0, -1)) {
      const next = parent[part];
      if (typeof next !== 'object' || next === null)
        throw invalid(`"${keyText(edit.key)}" is not in the file.`, { key: edit.key });
      parent = next as Record<string | number, unknown>;
    }
    const last = edit.key[edit.key.length - 1]!;
    const old = parent[last];
    if (old === undefined || (typeof old === 'object' && old !== null))
      throw invalid(`"${keyText(edit.key)}" is not an existing single value; change it in the text editor.`, {
        key: edit.key,
      });
    if (edit.value === null)
      throw invalid('TOML has no null; remove the key in the text editor.', { key: edit.key });
    parent[last] = edit.value;
  }
  return patchToml(text, data);
}

/** The text with `edits` applied, every other byte kept. */
export function editConfig(text: string, format: ConfigFormat, edits: ConfigEdit[]): string {
  if (edits.length === 0) return text;
  for (const edit of edits) {
    if (edit.key.length === 0) throw invalid('An edit needs a key.');
  }
  return format === 'yaml' ? editYaml(text, edits) : editToml(text, edits);
}
