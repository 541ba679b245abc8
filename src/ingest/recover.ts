import { existsSync } from 'node:fs';
import type { IndexStore } from '../index/index.ts';
import { processAlive } from '../archive/index.ts';

/**
 * Files that were in flight when a process died. A "working" row is harmless (the source
 * is still in the inbox and gets picked up again); a "committed" row means the recording
 * is archived and only the disposal was cut short, which the next pickup finishes. Rows
 * whose source is gone are dropped. Returns how many rows were looked at.
 */
export function recoverInflight(store: IndexStore): { stale: number; pending: number } {
  let stale = 0;
  let pending = 0;
  store.root.transactionSync(() => {
    for (const { key, value } of store.inflight.getRange()) {
      const row = value as { pid: number; pidStart: string | null; state: string };
      if (row.state === 'kept') {
        if (!existsSync(key)) store.inflight.remove(key);
        continue;
      }
      if (row.pid && row.pid !== process.pid && processAlive(row.pid, row.pidStart)) continue;
      if (!existsSync(key)) {
        store.inflight.remove(key);
        stale++;
      } else pending++;
    }
  });
  return { stale, pending };
}
