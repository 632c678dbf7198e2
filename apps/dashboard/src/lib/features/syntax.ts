/**
 * Which highlighting the file editor uses for a file, decided from its name. The highlighter itself is a
 * separate chunk (`syntax-highlighter.ts`, loaded with a dynamic `import()` when a text file is opened),
 * so the main bundle carries only this table.
 */
import type { Highlight, SyntaxLanguage } from './syntax-types.js';

export type { Highlight, SyntaxLanguage };

const BY_EXTENSION: Record<string, SyntaxLanguage> = {
  properties: 'properties',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'toml',
  json: 'json',
  json5: 'json',
  mcmeta: 'json',
  ini: 'ini',
  cfg: 'ini',
  conf: 'ini',
  log: 'log',
};

/** The language of a file, or undefined for text shown plain. */
export function syntaxOf(path: string): SyntaxLanguage | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot + 1)];
}

/** Above this many characters the editor stays plain: highlighting on every keystroke would lag. */
export const HIGHLIGHT_MAX_CHARS = 256 * 1024;

/** Loads the highlighter chunk on first use. */
export async function loadHighlighter(): Promise<Highlight> {
  const { createHighlighter } = await import('./syntax-highlighter.js');
  return createHighlighter();
}
