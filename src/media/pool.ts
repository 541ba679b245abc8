// A bounded pool of ffmpeg slots with a bounded wait line: at most `slots` holders at once,
// at most `queue` more waiting in arrival order, and anyone beyond that refused at once
// with E_BUSY (the web layer answers 503 with Retry-After). WAV downloads have their own
// pool, apart from ingest's: a download waits neither behind a backlog of transcodes
// (issue 16 #13: a 3 s call waited 12 s) nor without limit behind other downloads.

import { TresorError } from '../core/errors.ts';

export interface PoolLimits {
  /** holders at once (ffmpeg processes) */
  slots: number;
  /** waiters beyond that; 0 = refuse as soon as every slot is taken */
  queue: number;
}

export interface Pool {
  /**
   * Resolves with a release function once a slot is free (call it exactly once; more calls
   * do nothing). Throws E_BUSY when the wait line is full; an aborted signal takes a waiter
   * out of the line.
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  stats(): { running: number; waiting: number };
}

/** Seconds a refused client is told to wait: a short call decodes in well under that. */
export const RETRY_AFTER_SECONDS = 10;

export function createPool(what: string, limits: PoolLimits): Pool {
  if (!Number.isInteger(limits.slots) || limits.slots < 1) throw new TresorError('E_CONFIG', `${what}: slots must be at least 1 (got ${limits.slots})`);
  if (!Number.isInteger(limits.queue) || limits.queue < 0) throw new TresorError('E_CONFIG', `${what}: queue must be 0 or more (got ${limits.queue})`);
  let running = 0;
  const waiting: { grant(): void }[] = [];

  const releaser = (): (() => void) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = waiting.shift();
      if (next) next.grant(); // the slot passes straight on: `running` stays the same
      else running--;
    };
  };

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(aborted(what));
      if (running < limits.slots) {
        running++;
        return Promise.resolve(releaser());
      }
      if (waiting.length >= limits.queue) {
        return Promise.reject(new TresorError('E_BUSY', `${what}: all ${limits.slots} slot(s) are in use and ${limits.queue} request(s) wait already; try again in ${RETRY_AFTER_SECONDS} s`, {
          retryable: true, detail: { slots: limits.slots, queue: limits.queue, retryAfterSeconds: RETRY_AFTER_SECONDS },
        }));
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(releaser());
          },
        };
        const onAbort = () => {
          const i = waiting.indexOf(entry);
          if (i >= 0) waiting.splice(i, 1);
          reject(aborted(what));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(entry);
      });
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}

function aborted(what: string): TresorError {
  return new TresorError('E_FFMPEG_TIMEOUT', `${what}: the request went away while waiting`, { retryable: true, detail: { reason: 'aborted' } });
}
