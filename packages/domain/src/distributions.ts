/** Server software Minefleet can run. `flying-squid` is built in (Node.js, no Java, no internet). */
export const DISTRIBUTIONS = ['flying-squid', 'paper', 'vanilla', 'purpur', 'fabric'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export function isDistribution(value: string): value is Distribution {
  return (DISTRIBUTIONS as readonly string[]).includes(value);
}
