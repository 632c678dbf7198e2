import hljsCore from 'highlight.js/lib/core';
import ini from 'highlight.js/lib/languages/ini';
import json from 'highlight.js/lib/languages/json';
import properties from 'highlight.js/lib/languages/properties';
import yaml from 'highlight.js/lib/languages/yaml';
import type { LanguageFn } from 'highlight.js';
import type { Highlight, SyntaxLanguage } from './syntax-types.js';

/**
 * The file editor's highlighter: highlight.js's core with only the grammars the editor uses (its own
 * chunk, loaded by `loadHighlighter` in `syntax.ts`). Tokens are `<span class="hljs-…">`; the colours
 * are the editor's (FileEditor's code area).
 */

/** Server logs: the time, the level (errors and warnings apart), quoted text and stack-trace lines. */
const log: LanguageFn = () => ({
  name: 'Log',
  contains: [
    {
      scope: 'meta',
      match: /\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?|\[\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]/,
    },
    { scope: 'error', match: /\b(?:ERROR|SEVERE|FATAL|Exception|Error)\b/ },
    { scope: 'warning', match: /\bWARN(?:ING)?\b/ },
    { scope: 'keyword', match: /\b(?:INFO|DEBUG|TRACE)\b/ },
    { scope: 'comment', match: /^\s+at [^\n]+/m },
    { scope: 'string', begin: /"/, end: /"|$/ },
  ],
});

const GRAMMARS: Record<SyntaxLanguage, [string, LanguageFn]> = {
  properties: ['properties', properties],
  yaml: ['yaml', yaml],
  // highlight.js's `ini` grammar covers TOML (tables, arrays of tables, dotted keys, strings).
  toml: ['ini', ini],
  ini: ['ini', ini],
  json: ['json', json],
  log: ['minefleet-log', log],
};

/** A highlighter of its own (a new highlight.js instance: nothing shared between editors). */
export function createHighlighter(): Highlight {
  const hljs = hljsCore.newInstance();
  for (const [name, grammar] of Object.values(GRAMMARS)) hljs.registerLanguage(name, grammar);
  return (code, language) =>
    hljs.highlight(code, { language: GRAMMARS[language][0], ignoreIllegals: true }).value;
}
