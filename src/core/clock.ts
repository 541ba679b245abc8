/** One place for "now", so tests and the purge's clock-jump check can reason about it. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 UTC with milliseconds, the time format of every log entry. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
