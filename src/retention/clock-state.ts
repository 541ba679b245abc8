import type { IndexStore } from '../store/index.ts';

/** Where the clock guard keeps its state in the index's meta table (src/retention/clock-guard.ts). */
export const CLOCK_HOLD_KEY = 'purgeClockHold';
export const CLOCK_CONFIRMED_KEY = 'purgeClockConfirmedAt';
/** high-water mark of trusted wall time (epoch ms) */
export const CLOCK_TRUSTED_KEY = 'clockTrustedAt';

export interface ClockHold {
  since: number;
  reason: string;
}

/** The recorded hold: purges refuse and new calls get no expiry until an admin confirms the time. */
export function clockHold(store: IndexStore): ClockHold | null {
  return (store.meta.get(CLOCK_HOLD_KEY) as ClockHold | undefined) ?? null;
}
