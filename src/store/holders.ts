import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { lockHoldersIn } from '../core/index.ts';

/**
 * Which other processes have this data directory's index open right now.
 *
 * Every process that opens an LMDB environment holds a shared POSIX (fcntl) lock on
 * `lock.mdb` for as long as the environment is open, and the kernel drops it when the
 * process dies, also on SIGKILL. `/proc/locks` lists those locks with the owner's pid and
 * the file's device and inode, so reading it says who has the index open without touching
 * `lock.mdb` itself (opening and closing that file in a process that has the index open
 * would drop that process's locks; see store.ts). A pid file could go stale after a
 * crash, and LMDB's reader table keeps slots of dead readers until the next reader check;
 * the kernel's lock table cannot be stale.
 *
 * Returns the pids other than this process (empty: nobody else). Throws when it cannot
 * tell (no /proc/locks): callers refuse then, they never guess "nobody".
 */
export function otherIndexHolders(dataDir: string): number[] {
  const lockFile = join(dataDir, 'index', 'lock.mdb');
  let st;
  try {
    st = statSync(lockFile, { bigint: true });
  } catch {
    return []; // no index yet, or never opened: nobody can hold it
  }
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch (e) {
    throw new TresorError('E_INTERNAL', `cannot tell whether another process uses the index (/proc/locks: ${(e as Error).message})`);
  }
  return lockHoldersIn(text, st.dev, st.ino).filter((pid) => pid !== process.pid);
}

/** Refuses with a message that names the processes and says what to do. */
export function assertIndexExclusive(dataDir: string, what: string): void {
  const pids = otherIndexHolders(dataDir);
  if (pids.length) {
    throw new TresorError('E_NEEDS_EXCLUSIVE',
      `${what} needs the archive to itself, but process(es) ${pids.join(', ')} have its index open ` +
      '(the service, or another tresor command). Stop the service first (systemctl stop tresor), ' +
      'wait for other tresor commands to finish, then run this again.', { detail: { pids } });
  }
}
