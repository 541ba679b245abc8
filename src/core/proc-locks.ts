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
