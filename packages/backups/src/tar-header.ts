/**
 * Writes POSIX tar (ustar + pax) headers. Writing is ours (a few lines, and the archive stream stays a
 * plain async generator with exact backpressure); reading uses `tar-stream`, which knows every dialect.
 * Archives are readable by GNU tar, bsdtar and any ustar/pax reader.
 */
export const TAR_BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
  /** Relative POSIX path; directories without the trailing slash (added here). */
  name: string;
  type: TarEntryType;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
}

const TYPEFLAG: Record<TarEntryType, string> = { file: '0', directory: '5', symlink: '2' };
const USTAR_MAX_SIZE = 0o77777777777;

/** The header block(s) of an entry: a pax extended header first when a field does not fit ustar. */
export function encodeTarHeader(header: TarHeader): Buffer {
  const name = header.type === 'directory' ? `${header.name}/` : header.name;
  const linkname = header.linkname ?? '';
  const pax: [string, string][] = [];
  if (!fitsUstar(name)) pax.push(['path', name]);
  if (!fitsUstar(linkname)) pax.push(['linkpath', linkname]);
  if (header.size > USTAR_MAX_SIZE) pax.push(['size', String(header.size)]);

  const main = ustarBlock({
    name: fitsUstar(name) ? name : asciiFallback(name),
    linkname: fitsUstar(linkname) ? linkname : asciiFallback(linkname),
    size: header.size > USTAR_MAX_SIZE ? 0 : header.size,
    mode: header.mode,
    mtime: header.mtime,
    typeflag: TYPEFLAG[header.type],
  });
  if (pax.length === 0) return main;

  const body = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(''), 'utf8');
  const paxHeader = ustarBlock({
    name: asciiFallback(`PaxHeader/${name}`),
    linkname: '',
    size: body.length,
    mode: 0o644,
    mtime: header.mtime,
    typeflag: 'x',
  });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes that complete a body of `size` bytes to a whole block. */
export function padding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(TAR_BLOCK * 2);

function fitsUstar(value: string): boolean {
  // Plain ASCII up to 100 bytes goes in the ustar field; anything else goes in a pax record (UTF-8).
  return value.length <= 100 && /^[\x20-\x7e]*$/.test(value);
}

function asciiFallback(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

function paxRecord(key: string, value: string): string {
  // "<length> <key>=<value>\n" where length counts the whole record including its own digits.
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest, 'utf8');
  let length = restBytes + String(restBytes).length;
  if (String(length).length !== String(restBytes).length) length = restBytes + String(length).length;
  return `${length}${rest}`;
}

function ustarBlock(fields: {
  name: string;
  linkname: string;
  size: number;
  mode: number;
  mtime: number;
  typeflag: string;
}): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(fields.name, 0, 100, 'ascii');
  octal(block, 100, 8, fields.mode & 0o7777);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, fields.size);
  octal(block, 136, 12, Math.max(0, Math.floor(fields.mtime)));
  block.write(fields.typeflag, 156, 1, 'ascii');
  block.write(fields.linkname, 157, 100, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}
