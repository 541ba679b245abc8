// The inbox scanner: finds recordings the PBX has finished writing and hands each one to
// the pipeline once. Three parts, as paperless-ngx's consumer has them:
//  - walk.ts: one stateless pass over the inbox with lstat (what is there now);
//  - stability.ts: what the observations mean (finished? rejected? when to look again?),
//    pure, with the list of cases it handles;
//  - wake.ts: when to look (the periodic rescan, brought forward by fs.watch hints).
// This file wires them: one scan at a time, callbacks that cannot stop the scanner, and
// scan problems reported once while they persist.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromSystemError, TresorError } from '../core/errors.ts';
import { createStability, type ReadyFile, type RejectedEntry } from './stability.ts';
import { walkInbox } from './walk.ts';
import { createWakeUp } from './wake.ts';

export type { EntryType, ReadyFile, RejectedEntry } from './stability.ts';

export interface ScannerOptions {
  inbox: string;
  settleMs: number;
  intervalMs: number;
  maxBytes: number;
  onReady(f: ReadyFile): void;
  onRejected(r: RejectedEntry): void;
  /** a last veto before emitting (e.g. a writer still holds the file); asked again next scan */
  isBusy?(path: string): boolean;
  /** scan problems (inbox unreadable, mount gone); reported once while they persist */
  onError?(e: TresorError): void;
  /** absolute folders inside the inbox never to enter (e.g. a move-to target placed there) */
  skipDirs?: string[];
}

export interface Scanner {
  start(): void;
  /** stops timers and watchers and waits for a running scan */
  stop(): Promise<void>;
  /** one full scan; concurrent calls share or queue behind the running one (never overlap) */
  scanOnce(): Promise<void>;
  /** the pipeline is done with this path: emit it again only once its content changes */
  release(path: string): void;
  /** drop the emitted/rejected marks: an unchanged file is emitted (or rejected) again */
  forget(path: string): void;
}

export function createScanner(opts: ScannerOptions): Scanner {
  // settleMs 0 (allowed by the config) takes a file at first sight: only for trusted writers
  // that rename finished files into place. A 0 interval would spin.
  for (const [key, min] of [['settleMs', 0], ['intervalMs', 1], ['maxBytes', 1]] as const) {
    const v = opts[key];
    if (!Number.isFinite(v) || v < min) throw new TresorError('E_CONFIG', `scanner: ${key} must be a number ≥ ${min}`);
  }
  const inbox = resolve(opts.inbox);
  const skipDirs = new Set((opts.skipDirs ?? []).map((d) => resolve(d)));
  const onError = opts.onError ?? ((e: TresorError) => process.emitWarning(e.message, { code: e.code }));
  const stability = createStability(opts);
  const wake = createWakeUp({ intervalMs: opts.intervalMs, settleMs: opts.settleMs, onWake: () => void scanOnce() });
  let lastErrors = new Set<string>();
  let nextDelay = opts.intervalMs;
  let current: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  function scanOnce(): Promise<void> {
    if (queued) return queued;
    if (current) {
      queued = current.then(() => {
        queued = null;
        return runExclusive();
      });
      return queued;
    }
    return runExclusive();
  }

  function runExclusive(): Promise<void> {
    current = scan().finally(() => {
      current = null;
      wake.scanned(nextDelay);
    });
    return current;
  }

  async function scan(): Promise<void> {
    const errors = new Set<string>();
    const report = (e: unknown, what: string): void => {
      const err = fromSystemError(e, what);
      const key = `${err.code}\0${what}`;
      errors.add(key);
      if (!lastErrors.has(key)) safe(() => onError(err));
    };
    try {
      const { entries, dirs, complete } = await walkInbox(inbox, skipDirs, report);
      wake.watch(dirs);
      const d = stability.decide(entries, complete, performance.now(), opts.isBusy && busy);
      for (const r of d.rejected) safe(() => opts.onRejected(r));
      for (const f of d.ready) safe(() => opts.onReady(f));
      nextDelay = d.nextScanInMs;
    } catch (e) {
      report(e, `scanning ${inbox}`);
      nextDelay = opts.intervalMs;
    }
    lastErrors = errors;
  }

  /** A throwing isBusy counts as busy: when unsure whether a writer holds it, wait. */
  function busy(path: string): boolean {
    let answer = true;
    safe(() => {
      answer = opts.isBusy?.(path) ?? false;
    });
    return answer;
  }

  function safe(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // A throwing consumer must not stop the scanner; say so and carry on.
      try {
        onError(new TresorError('E_INTERNAL', `scanner callback failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      } catch {
        /* nothing left to tell */
      }
    }
  }

  return {
    start() {
      if (wake.running) return;
      // Watch the inbox before the first walk: a file dropped while that walk runs would
      // otherwise wait for the next periodic scan (5 s by default, minutes on a slow share).
      wake.start([inbox]);
      void scanOnce();
    },
    async stop() {
      wake.stop();
      await (queued ?? current);
    },
    scanOnce,
    release(path) {
      stability.release(resolve(path));
    },
    forget(path) {
      stability.forget(resolve(path));
    },
  };
}
