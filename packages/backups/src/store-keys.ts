import { DomainError } from '@minefleet/domain/errors';

/**
 * Keys every store accepts, identically, so a key that works on the local store works on S3 and the
 * reverse: `/`-separated segments of printable characters, no empty, `.` or `..` segment, no leading
 * `/`, no backslash, at most 512 bytes, and no segment starting with `.` (the local store keeps its
 * temporary files in a dot-folder, and hidden names are not what a service generates).
 */
const MAX_KEY_BYTES = 512;

export function assertValidKey(key: string): void {
  const reason = keyProblem(key);
  if (reason !== null)
    throw new DomainError('VALIDATION_FAILED', `Invalid backup key: ${reason}`, { key, reason });
}

/** Prefixes follow the same rules but may be empty or end inside a segment (or with `/`). */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const reason = trimmed === '' ? 'leading slash' : keyProblem(trimmed);
  if (reason !== null)
    throw new DomainError('VALIDATION_FAILED', `Invalid backup key prefix: ${reason}`, { prefix, reason });
}

function keyProblem(key: string): string | null {
  if (key === '') return 'empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return 'too long';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'control character or backslash';
  if (key.startsWith('/')) return 'leading slash';
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'empty, . or .. segment';
    if (segment.startsWith('.')) return 'segment starting with a dot';
  }
  return null;
}
