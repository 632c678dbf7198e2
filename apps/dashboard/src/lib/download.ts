/**
 * Saves a file from a URL that needs no header (a backup's download link): the browser streams it to
 * disk itself, so an archive of any size never sits in the page's memory.
 */
export function saveFromUrl(url: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

export function archiveExtension(compression: string): string {
  return compression === 'gzip' ? '.tar.gz' : compression === 'zstd' ? '.tar.zst' : '.tar';
}
