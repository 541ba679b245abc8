/**
 * Failed-login throttling per account and per address (OWASP: slow down, do not lock out
 * for good — a permanent lock-out lets anyone lock the DPO out). After `free` failures in
 * the window, each further attempt must wait twice as long as the one before, up to
 * `maxDelayMs`. In memory: a restart resets it, which costs an attacker a service restart.
 */
export interface ThrottleOptions {
  free: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { free: 5, windowMs: 15 * 60_000, baseDelayMs: 1000, maxDelayMs: 15 * 60_000 };

interface Record_ {
  failures: number;
  first: number;
  last: number;
}

export function createThrottle(opts: ThrottleOptions = DEFAULT_THROTTLE, now: () => number = Date.now) {
  const seen = new Map<string, Record_>();

  function live(key: string): Record_ | undefined {
    const r = seen.get(key);
    if (r && now() - r.last > opts.windowMs) {
      seen.delete(key);
      return undefined;
    }
    return r;
  }

  function waitMs(key: string): number {
    const r = live(key);
    if (!r || r.failures < opts.free) return 0;
    const delay = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (r.failures - opts.free));
    return Math.max(0, r.last + delay - now());
  }

  return {
    /** milliseconds the caller must still wait before trying any of these keys */
    retryAfterMs(keys: string[]): number {
      return Math.max(0, ...keys.map(waitMs));
    },
    failed(keys: string[]): void {
      const t = now();
      for (const k of keys) {
        const r = live(k);
        if (r) {
          r.failures++;
          r.last = t;
        } else seen.set(k, { failures: 1, first: t, last: t });
      }
      if (seen.size > 100_000) for (const k of [...seen.keys()].slice(0, 10_000)) seen.delete(k);
    },
    succeeded(keys: string[]): void {
      for (const k of keys) seen.delete(k);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
