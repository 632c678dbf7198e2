/** How a file's bytes are shown as text, and turned back into the same kind of bytes on save. */
export const TEXT_ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'latin1'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Null when the bytes look binary (a NUL byte in the first 8 KiB without a UTF-16 BOM). */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding } | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) {
    return { text: buffer.subarray(2).toString('utf16le'), encoding: 'utf-16le' };
  }
  if (buffer.subarray(0, 8192).includes(0)) return null;
  const bom = UTF8_BOM.every((b, i) => buffer[i] === b);
  const body = bom ? buffer.subarray(3) : buffer;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { text, encoding: bom ? 'utf-8-bom' : 'utf-8' };
  } catch {
    // Not UTF-8: Java's .properties files and old configs are ISO-8859-1, which decodes any byte.
    return { text: buffer.toString('latin1'), encoding: 'latin1' };
  }
}

export function encodeText(text: string, encoding: TextEncoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from(UTF8_BOM), Buffer.from(text, 'utf8')]);
    case 'utf-16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'latin1':
      return Buffer.from(text, 'latin1');
  }
}

/** Whether `text` survives `encoding` (latin1 cannot hold characters above U+00FF). */
export function fitsEncoding(text: string, encoding: TextEncoding): boolean {
  // eslint-disable-next-line no-control-regex
  return encoding !== 'latin1' || /^[\u0000-\u00ff]*$/.test(text);
}
