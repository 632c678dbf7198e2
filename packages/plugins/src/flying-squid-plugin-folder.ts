/**
 * The server-folder side of installing flying-squid plugins, as the launcher reads it
 * (docs/flying-squid.md, "Plugins: the contract"):
 *
 *   plugins/package.json       {"type": "commonjs"}, written by preparePluginFolder (see below)
 *   plugins/<slug>.js          the plugin (placed by downloadVerified)
 *   plugins/load-order.json    slugs loaded first, in order (dependencies first: the resolver's loadOrder)
 *   plugins/<slug>/config.json the plugin's configuration
 *
 * Why the package.json: Node decides whether a `.js` file is CommonJS from the nearest package.json
 * above it. A server folder under a `"type": "module"` project (Minefleet's own checkout, where the
 * default ./data lives) would make `require()` of a CommonJS plugin return an empty module, and the
 * launcher would skip every plugin without a word about why.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';

/** The launcher's slug pattern. */
export const FLYING_SQUID_SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The content of `plugins/package.json`. */
export const FLYING_SQUID_PACKAGE_MARKER = `${JSON.stringify({ type: 'commonjs' })}\n`;
const MARKER = FLYING_SQUID_PACKAGE_MARKER;

/** Creates `plugins/` if needed and makes Node read the plugin files in it as CommonJS. */
export async function preparePluginFolder(pluginsDir: string): Promise<void> {
  await mkdir(pluginsDir, { recursive: true });
  const marker = path.join(pluginsDir, 'package.json');
  const current = await readFile(marker, 'utf8').catch(() => undefined);
  if (current !== MARKER) await writeAtomically(marker, MARKER);
}

/** The content of `plugins/load-order.json` (slugs, dependencies first), each slug checked. */
export function flyingSquidLoadOrderJson(slugs: readonly string[]): string {
  for (const slug of slugs) checkSlug(slug);
  return `${JSON.stringify(slugs)}\n`;
}

/** The content of `plugins/<slug>/config.json` (JSON-encoded, so no value can break out of it). */
export function flyingSquidConfigJson(
  slug: string,
  config: Readonly<Record<string, unknown>>,
): { slug: string; content: string } {
  checkSlug(slug);
  return { slug, content: `${JSON.stringify(config, null, 2)}\n` };
}

/** Writes `plugins/load-order.json` (slugs, dependencies first). */
export async function writeLoadOrder(pluginsDir: string, slugs: readonly string[]): Promise<void> {
  await writeAtomically(path.join(pluginsDir, 'load-order.json'), flyingSquidLoadOrderJson(slugs));
}

/** Writes `plugins/<slug>/config.json` (JSON-encoded, so no value can break out of it). */
export async function writePluginConfig(
  pluginsDir: string,
  slug: string,
  config: Readonly<Record<string, unknown>>,
): Promise<string> {
  const { content } = flyingSquidConfigJson(slug, config);
  const dir = path.join(pluginsDir, slug);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'config.json');
  await writeAtomically(file, content);
  return file;
}

function checkSlug(slug: string): void {
  if (!FLYING_SQUID_SLUG.test(slug) || slug.includes('..')) {
    throw new DomainError('VALIDATION_FAILED', `Not a plugin slug: ${JSON.stringify(slug)}`, { slug });
  }
}

// Readers (the launcher, a restarting server) see the old file or the new one, never half of one.
async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o644 });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
