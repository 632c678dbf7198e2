import { InvalidArgumentError } from 'commander';

/** Commander argument parsers: a bad value is a usage error (exit 2) with commander's own message. */
export function positiveInt(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new InvalidArgumentError('expected a whole number of 1 or more');
  return Number(raw);
}

export function nonNegativeInt(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return Number(raw);
}

/** For repeatable options: `-p a=1 -p b=2` collects ["a=1", "b=2"]. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
