import { readFileSync } from 'node:fs';

/**
 * Start time (clock ticks since boot, /proc/PID/stat field 22) of a process, or null when
 * it is gone. A pid alone is not an identity: after a crash and reboot the number may be
 * reused, so a writer is "alive" only when pid AND start time match.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and ')': split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number, startTime: string | null): boolean {
  if (!pid) return false;
  const now = processStartTime(pid);
  return now !== null && (startTime === null || now === startTime);
}

/**
 * The pids holding a lock on one file, from the text of `/proc/locks` (pure, so it is
 * tested with a fake table). The kernel drops a process's locks when it dies, also on
 * SIGKILL, so this table is never stale, unlike a pid file. `dev` and `ino` come from a
 * `stat(…, { bigint: true })` of the file; /proc/locks writes the device as hex
 * major:minor in the kernel's split of dev_t. Sorted, each pid once.
 */
export function lockHoldersIn(procLocks: string, dev: bigint, ino: bigint): number[] {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const pids = new Set<number>();
  for (const line of procLocks.split('\n')) {
    // "1: POSIX  ADVISORY  READ 14986 fe:00:2188444 0 0" (a blocked waiter has "->" first)
    const m = /^\d+:\s+(?:->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m) continue;
    if (BigInt(m[4]!) !== ino) continue;
    if (parseInt(m[2]!, 16) !== major || parseInt(m[3]!, 16) !== minor) continue;
    pids.add(Number(m[1]));
  }
  return [...pids].sort((a, b) => a - b);
}
