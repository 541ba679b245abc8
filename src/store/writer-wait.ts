import { Worker } from 'node:worker_threads';
import type { RootDatabase } from 'lmdb';

/**
 * Tells a person at the shell when a command waits for LMDB's writer lock, instead of
 * hanging silently (issue 9, item 9).
 *
 * LMDB lets one write transaction run at a time across all processes. When another
 * process holds the lock for long — a stuck service, or (as seen in the test suite) a
 * process whose main thread is blocked while lmdb-js's write thread holds the lock and
 * waits for it — every write of the command waits. The wait may happen inside
 * `transactionSync`, with our own event loop blocked, so the notice comes from a small
 * worker thread that writes straight to file descriptor 2.
 *
 * Shared state (two 64-bit slots): [0] write transactions asked for but not yet started,
 * [1] time (ms) of the last progress: the first one asked for, or any one starting.
 */

const NOTICE_AFTER_MS = 3000;
const REPEAT_MS = 30_000;

let enabled = false;

/** The CLI turns this on at start; the service does not need it (it logs its own state). */
export function enableWriterWaitNotices(): void {
  enabled = true;
}

export function writerWaitNoticesEnabled(): boolean {
  return enabled;
}

const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const st = new BigInt64Array(workerData.sab);
let lastSaid = 0;
setInterval(() => {
  if (Atomics.load(st, 0) <= 0n) { lastSaid = 0; return; }
  const since = Number(Atomics.load(st, 1));
  const now = Date.now();
  if (now - since < workerData.afterMs) return;
  if (lastSaid >= since && now - lastSaid < workerData.repeatMs) return;
  lastSaid = now;
  try { writeSync(2, workerData.text.replace('{s}', String(Math.round((now - since) / 1000))) + '\\n'); } catch {}
}, 250);
`;

export interface WriterWaitWatch {
  /** marks one write as asked for; call the result when it has the lock (or gave up) */
  enter(): () => void;
  /** wraps the root's transaction methods so that every write is watched */
  wrap(root: RootDatabase): void;
}

/**
 * Starts watching when other processes (`holders`) have the index open; they are named
 * in the notice. Opening the environment and its named databases takes the writer lock
 * too, so the opener marks that phase with `enter()` before `open()`.
 */
export function startWriterWaitWatch(holders: number[]): WriterWaitWatch {
  const sab = new SharedArrayBuffer(16);
  const st = new BigInt64Array(sab);
  const text = `tresor: waiting for the index's write lock ({s} s); process(es) ${holders.join(', ')} have the index open ` +
    '(the service, or another tresor command). This goes on as soon as the lock is free; if it never is, one of them is stuck holding it.';
  const worker = new Worker(WORKER, { eval: true, workerData: { sab, afterMs: NOTICE_AFTER_MS, repeatMs: REPEAT_MS, text } });
  worker.unref();

  const enter = (): (() => void) => {
    if (Atomics.add(st, 0, 1n) === 0n) Atomics.store(st, 1, BigInt(Date.now()));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      Atomics.sub(st, 0, 1n);
      Atomics.store(st, 1, BigInt(Date.now()));
    };
  };

  return {
    enter,
    wrap(root) {
      const r = root as unknown as {
        transaction<T>(fn: () => T): Promise<T>;
        transactionSync<T>(fn: () => T, flags?: number): T;
        childTransaction<T>(fn: () => T): Promise<T> | T;
      };
      const tx = r.transaction.bind(root);
      const txSync = r.transactionSync.bind(root);
      const child = r.childTransaction.bind(root);
      // store.tx runs as a child transaction: unwatched, a CLI waiting behind the service
      // for its log entry said nothing again (test/cli-writer-lock.test.ts)
      r.childTransaction = <T>(fn: () => T): Promise<T> | T => {
        const started = enter();
        try {
          const out = child(() => {
            started();
            return fn();
          });
          if (out instanceof Promise) return out.finally(started);
          started();
          return out;
        } catch (e) {
          started();
          throw e;
        }
      };
      r.transaction = <T>(fn: () => T): Promise<T> => {
        const started = enter();
        return tx(() => {
          started();
          return fn();
        }).finally(started);
      };
      r.transactionSync = <T>(fn: () => T, flags?: number): T => {
        const started = enter();
        try {
          return txSync(() => {
            started();
            return fn();
          }, flags);
        } finally {
          started();
        }
      };
      const close = root.close.bind(root);
      root.close = (() => {
        void worker.terminate();
        return close();
      }) as typeof root.close;
    },
  };
}
