/**
 * Players joining and leaving, read from a game server's console. Pure: the metrics collector feeds it
 * the lines of the servers it owns and records sessions from the answers.
 *
 * Only whole-line shapes the server itself prints are recognised, anchored at both ends, so chat
 * (`<alice> bob left the game`), `say` output (`[Server] ...`) or a command echo cannot fake a session.
 * Minecraft names are 3–16 characters of `A-Z a-z 0-9 _` (offline servers accept 1–16).
 */
export type PlayerEvent = { kind: 'join' | 'leave'; name: string; uuid?: string };

const NAME = '([A-Za-z0-9_]{1,16})';

const PATTERNS: { kind: PlayerEvent['kind']; re: RegExp }[] = [
  // flying-squid: "bot1 (::ffff:127.0.0.1) connected" / "bot1 disconnected"
  { kind: 'join', re: new RegExp(`^${NAME} \\([^()]{0,64}\\) connected$`) },
  { kind: 'leave', re: new RegExp(`^${NAME} disconnected$`) },
  // Vanilla, Paper, Purpur, Fabric: "Steve joined the game" / "Steve left the game"
  { kind: 'join', re: new RegExp(`^${NAME} joined the game$`) },
  { kind: 'leave', re: new RegExp(`^${NAME} left the game$`) },
];

/** The join or leave a console line reports, or null. `source` must be the game's own output. */
export function playerEventOf(line: { source: string; message: string }): PlayerEvent | null {
  if (line.source !== 'stdout') return null;
  const message = line.message.trim();
  if (message.length > 120) return null;
  for (const { kind, re } of PATTERNS) {
    const match = re.exec(message);
    if (match) return { kind, name: match[1]! };
  }
  return null;
}
