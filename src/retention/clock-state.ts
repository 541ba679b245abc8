import type { ClockHold, IndexStore } from '../store/index.ts';

/** The recorded hold: purges refuse and new calls get no expiry until an admin confirms the time. */
export function clockHold(store: IndexStore): ClockHold | null {
  return store.meta.clockHold();
}
