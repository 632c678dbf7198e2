import { readFile, readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

/**
 * What /proc says about processes. Linux only, like the rest of the local driver's process model
 * (unix sockets, process groups).
 */

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** True while the pid names a running (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which is not one of ours either way.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return parseStat(stat)?.state !== 'Z';
  } catch {
    return false;
  }
}

interface Stat {
  state: string;
  pgrp: number;
  cpuTicks: number;
}

function parseStat(text: string): Stat | null {
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const end = text.lastIndexOf(')');
  if (end < 0) return null;
  const fields = text.slice(end + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15, pgrp field 5.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { state: fields[0] ?? '?', pgrp: Number(fields[2]), cpuTicks: utime + stime };
}

/** The process group of a live process (from /proc), or undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.pgrp;
  } catch {
    return undefined;
  }
}

/** Every live process group on the machine: pgid → pids, from one pass over /proc. */
export async function processGroups(): Promise<Map<number, number[]>> {
  const groups = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(await readFile(`/proc/${entry}/stat`, 'utf8'));
      if (!stat || stat.state === 'Z') continue;
      const pids = groups.get(stat.pgrp);
      if (pids) pids.push(Number(entry));
      else groups.set(stat.pgrp, [Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  return groups;
}

/** Pids of every live process in the process group (the launcher and, for Java, the JVM it started). */
export async function processGroup(pgid: number): Promise<number[]> {
  return (await processGroups()).get(pgid) ?? [];
}

export interface UsageSample {
  at: number;
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU time used so far and resident memory now, summed over the pids. */
export async function sampleUsage(pids: readonly number[]): Promise<UsageSample> {
  let cpuTicks = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    try {
      const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
      if (stat) cpuTicks += stat.cpuTicks;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (rss) rssBytes += Number(rss[1]) * 1024;
    } catch {
      // exited between listing and reading
    }
  }
  return { at: Date.now(), cpuSeconds: cpuTicks / CLOCK_TICKS_PER_SECOND, rssBytes };
}

/** Percent of one core used between two samples. */
export function cpuPercent(before: UsageSample, after: UsageSample): number {
  const wall = (after.at - before.at) / 1000;
  if (wall <= 0) return 0;
  return Math.max(0, Math.round(((after.cpuSeconds - before.cpuSeconds) / wall) * 1000) / 10);
}

/** The command line of a process, or null when it is gone. */
export async function commandLine(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part !== '');
  } catch {
    return null;
  }
}
