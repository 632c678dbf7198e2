/**
 * A player's avatar drawn from the name alone: a symmetric 5×5 pattern in a colour, both from a hash of
 * the name (lower-cased, as Minecraft compares names). No image host is asked, so no third party learns
 * who plays where, and it works offline.
 */
export interface Avatar {
  /** Filled cells as [column, row] of a 5×5 grid. */
  cells: [number, number][];
  color: string;
  background: string;
}

/** FNV-1a, 32 bits: small, stable, well spread for short strings. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function avatarOf(name: string): Avatar {
  const h = hash(name.toLowerCase());
  const hue = h % 360;
  const cells: [number, number][] = [];
  // 15 bits decide the left three columns; the right two mirror them.
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      if ((h >>> (row * 3 + col + 9)) & 1) {
        cells.push([col, row]);
        if (col < 2) cells.push([4 - col, row]);
      }
    }
  }
  return { cells, color: `hsl(${hue} 55% 45%)`, background: `hsl(${hue} 40% 92%)` };
}
