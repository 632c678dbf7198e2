/**
 * Small rules shared by the remote sources.
 */
import { parsePluginVersion } from '@minefleet/domain/plugin-resolver-versions';
import type { SourcePluginVersion } from '@minefleet/domain/ports/plugin-source';
import { sourceUnavailable } from './http-client.js';

/**
 * The range that admits exactly `version`, in the resolver's own reading of versions (so `1.0` pins
 * 1.0.0). A version without any number cannot be pinned by a range; `*` keeps the dependency itself.
 */
export function exactVersionRange(version: string): string {
  const parsed = parsePluginVersion(version);
  return parsed ? `=${parsed.version}` : '*';
}

/** The download URL of a version, refused unless it is plain HTTP(S) (no file:, data:, …). */
export function downloadUrl(source: string, version: SourcePluginVersion): URL {
  let url: URL;
  try {
    url = new URL(version.downloadUrl);
  } catch {
    throw sourceUnavailable(source, version.downloadUrl, 'invalid-payload', {
      problems: ['download URL is not a URL'],
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw sourceUnavailable(source, url, 'invalid-payload', { problems: ['download URL is not http(s)'] });
  }
  return url;
}
