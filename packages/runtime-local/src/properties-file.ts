import type { PropertyValue } from '@minefleet/domain/ports/runtime-driver';

/**
 * Java `.properties` files (server.properties), written so that no value can ever become another key:
 * every character with a meaning to java.util.Properties.load — line breaks, `=`, `:`, `#`, `!`,
 * backslash, leading blanks — is escaped, and anything outside printable ASCII is written as `\uXXXX`
 * (readable whether the server decodes the file as ISO-8859-1, as Properties.load(InputStream) does, or
 * as UTF-8, as newer Minecraft versions try first).
 */

function escape(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const code = text.charCodeAt(i);
    switch (c) {
      case '\\':
        out += '\\\\';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '=':
      case ':':
      case '#':
      case '!':
        out += '\\' + c;
        continue;
      case ' ':
        // In a key every blank would end the key; in a value only leading blanks would be dropped.
        out += isKey || i === 0 ? '\\ ' : ' ';
        continue;
    }
    out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

export function formatValue(value: PropertyValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** Renders properties, one `key=value` line each, in the given order, under an optional comment. */
export function renderProperties(entries: Iterable<[string, PropertyValue]>, comment?: string): string {
  const lines: string[] = [];
  // The comment is ours, but strip line breaks anyway: a comment line that broke would become a key.
  if (comment) lines.push(`# ${comment.replace(/[\r\n]+/g, ' ')}`);
  for (const [key, value] of entries) lines.push(`${escape(key, true)}=${escape(formatValue(value), false)}`);
  return lines.join('\n') + '\n';
}

/** Parses a properties file exactly as java.util.Properties.load(Reader) does. */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const logical of logicalLines(text)) {
    let i = 0;
    let key = '';
    let escaped = false;
    // Key: up to an unescaped '=', ':' or blank.
    for (; i < logical.length; i++) {
      const c = logical.charAt(i);
      if (escaped) {
        escaped = false;
        key += '\\' + c;
        continue;
      }
      if (c === '\\') {
        escaped = true;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
    }
    // Separator: blanks, then at most one '=' or ':', then blanks.
    while (i < logical.length && /[ \t\f]/.test(logical.charAt(i))) i++;
    if (i < logical.length && (logical.charAt(i) === '=' || logical.charAt(i) === ':')) i++;
    while (i < logical.length && /[ \t\f]/.test(logical.charAt(i))) i++;
    result.set(unescape(key), unescape(logical.slice(i)));
  }
  return result;
}

/** Joins continuation lines (odd number of trailing backslashes), drops comments and blank lines. */
function* logicalLines(text: string): Generator<string> {
  const physical = text.split(/\r\n|\r|\n/);
  let current: string | null = null;
  for (const raw of physical) {
    // Leading blanks go, on a first line and on a continuation line alike.
    const line: string = raw.replace(/^[ \t\f]+/, '');
    if (current === null && (line === '' || line.startsWith('#') || line.startsWith('!'))) continue;
    const trailing: number = /\\*$/.exec(line)![0].length;
    const body: string = trailing % 2 === 1 ? line.slice(0, -1) : line;
    current = (current ?? '') + body;
    if (trailing % 2 === 0) {
      yield current;
      current = null;
    }
  }
  if (current !== null) yield current;
}

function unescape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text.charAt(++i);
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error('Malformed \\uxxxx encoding.');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}
