/**
 * Turns console text with Minecraft formatting codes (§ and, as flying-squid 1.21 prints chat, &) and
 * ANSI SGR escapes into styled segments. Rendering segments as text nodes (never as HTML) keeps player
 * chat from injecting markup; unknown escape sequences are dropped rather than shown as garbage.
 */
export interface Segment {
  text: string;
  color?: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  strike?: boolean;
  dim?: boolean;
}

/** Minecraft's 16 chat colours, by code. */
export const MC_COLORS: Record<string, string> = {
  '0': '#000000',
  '1': '#0000aa',
  '2': '#00aa00',
  '3': '#00aaaa',
  '4': '#aa0000',
  '5': '#aa00aa',
  '6': '#ffaa00',
  '7': '#aaaaaa',
  '8': '#555555',
  '9': '#5555ff',
  a: '#55ff55',
  b: '#55ffff',
  c: '#ff5555',
  d: '#ff55ff',
  e: '#ffff55',
  f: '#ffffff',
};

const ANSI_BASE = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5'];
const ANSI_BRIGHT = ['#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];

function ansi256(n: number): string | undefined {
  if (n < 8) return ANSI_BASE[n];
  if (n < 16) return ANSI_BRIGHT[n - 8];
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    const r = level(Math.floor(i / 36));
    const g = level(Math.floor(i / 6) % 6);
    const b = level(i % 6);
    return `rgb(${r},${g},${b})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey},${grey},${grey})`;
}

type Style = Omit<Segment, 'text'>;

// One token: an ANSI CSI sequence, another escape, a § code, or a & code (lowercase only: "R&D" and
// "Tom & Jerry" stay text, while the `&e` that servers print is still recognised). ESC is the point.
// eslint-disable-next-line no-control-regex
const TOKEN = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b[^[]|§([0-9a-fk-orA-FK-OR])|&([0-9a-fk-or])/g;

function applyMinecraft(style: Style, code: string): Style {
  const c = code.toLowerCase();
  if (MC_COLORS[c]) return { color: MC_COLORS[c] };
  switch (c) {
    case 'l':
      return { ...style, bold: true };
    case 'o':
      return { ...style, italic: true };
    case 'n':
      return { ...style, underline: true };
    case 'm':
      return { ...style, strike: true };
    case 'r':
      return {};
    default:
      return style; // k (obfuscated) is shown as plain text
  }
}

function applySgr(style: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number(p) || 0);
  let next: Style = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 9) next.strike = true;
    else if (code === 22) {
      delete next.bold;
      delete next.dim;
    } else if (code === 23) delete next.italic;
    else if (code === 24) delete next.underline;
    else if (code === 29) delete next.strike;
    else if (code >= 30 && code <= 37) next.color = ANSI_BASE[code - 30]!;
    else if (code >= 90 && code <= 97) next.color = ANSI_BRIGHT[code - 90]!;
    else if (code === 39) delete next.color;
    else if (code === 38) {
      if (codes[i + 1] === 5 && codes[i + 2] !== undefined) {
        const color = ansi256(codes[i + 2]!);
        if (color) next.color = color;
        i += 2;
      } else if (codes[i + 1] === 2 && codes[i + 4] !== undefined) {
        next.color = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
        i += 4;
      }
    } else if (code === 48) {
      // Background colours are ignored (the console has one background) but their arguments skipped.
      i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
    }
  }
  return next;
}

export function parseColorCodes(input: string): Segment[] {
  const out: Segment[] = [];
  let style: Style = {};
  let last = 0;
  const push = (text: string) => {
    if (text === '') return;
    const prev = out.at(-1);
    if (prev && sameStyle(prev, style)) prev.text += text;
    else out.push({ text, ...style });
  };
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(input); match; match = TOKEN.exec(input)) {
    push(input.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] !== undefined) {
      if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
    } else if (match[3] !== undefined) style = applyMinecraft(style, match[3]);
    else if (match[4] !== undefined) style = applyMinecraft(style, match[4]);
  }
  push(input.slice(last));
  return out;
}

/** The text without any codes (for search and copying). */
export function stripColorCodes(input: string): string {
  return parseColorCodes(input)
    .map((s) => s.text)
    .join('');
}

function sameStyle(a: Style, b: Style): boolean {
  return (
    a.color === b.color &&
    !!a.bold === !!b.bold &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.strike === !!b.strike &&
    !!a.dim === !!b.dim
  );
}
