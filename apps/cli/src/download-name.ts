/**
 * The local file name for a download when the user gave none: the name the server suggests in
 * Content-Disposition, only if it is a plain base name. A name with a path separator, a leading dot
 * (`..`, hidden files), a control character or more than 255 bytes is refused and `fallback` is used:
 * a server (or anything between it and the CLI) must not choose where on the user's disk a file lands.
 */
export function downloadFileName(contentDisposition: string | null, fallback: string): string {
  const suggested = /filename="([^"]*)"/.exec(contentDisposition ?? '')?.[1];
  return suggested !== undefined && isPlainBaseName(suggested) ? suggested : fallback;
}

export function isPlainBaseName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= 255 &&
    !name.startsWith('.') &&
    !/[/\\]/.test(name) &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}
