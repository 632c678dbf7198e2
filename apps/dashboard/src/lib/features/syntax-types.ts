/** What the file editor's highlighting is given and gives (shared by `syntax.ts` and its lazy chunk). */
export type SyntaxLanguage = 'properties' | 'yaml' | 'toml' | 'json' | 'ini' | 'log';

/** A function turning text into highlighted HTML (every character of the text escaped). */
export type Highlight = (code: string, language: SyntaxLanguage) => string;
