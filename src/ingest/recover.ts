import type { IndexStore } from '../store/index.ts';
import { processAlive } from '../core/index.ts';

const WEEK = 7 * 24 * 3600 * 1000;

/**
 * Rows of files that were in flight when a process died. A "working" row is dropped: its
 * source is still in the inbox and is simply taken again. A "committed" row means the
 * recording is archived and only the disposal was cut short; it stays so the next pickup
 * finishes the disposal without calling it a duplicate, and goes after a week (the
 * source is long gone by then). A deferred file's row (no process, attempts counted)
 * stays for a week too: its attempts and an earlier ffmpeg time-out must survive a
 * restart, or a file that hangs ffmpeg would get three fresh tries after every restart.
 * Rows are keyed by a token of the path, so this cannot look at the file itself.
 */
export function recoverInflight(store: IndexStore, now = Date.now()): { dropped: number; pending: number } {
  let dropped = 0;
  let pending = 0;
  store.txSync(() => {
    for (const { key, row } of store.inflight.entries()) {
      if (row.state === 'kept') continue;
      if (row.pid && processAlive(row.pid, row.pidStart)) continue;
      const waiting = row.state === 'working' && row.pid === 0 && (row.attempts ?? 0) > 0;
      if ((row.state === 'working' && !waiting) || now - row.startedAt > WEEK) {
        store.inflight.remove(key);
        dropped++;
      } else pending++;
    }
  });
  return { dropped, pending };
}
