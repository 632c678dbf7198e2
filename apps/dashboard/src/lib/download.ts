/**
 * Downloads a file from the API with the Authorization header (a plain link cannot send it) and hands
 * it to the browser as a saved file.
 */
export async function downloadWithToken(
  url: string,
  token: string | undefined,
  fileName: string,
): Promise<void> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error(`The download failed (HTTP ${response.status}).`);
  const objectUrl = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = objectUrl;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
}

export function archiveExtension(compression: string): string {
  return compression === 'gzip' ? '.tar.gz' : compression === 'zstd' ? '.tar.zst' : '.tar';
}
