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
