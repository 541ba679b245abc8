// When the scanner looks next: a timer for the periodic rescan, brought forward by
// fs.watch hints.
//
// The periodic rescan is the source of truth: SMB/NFS mounts deliver no inotify events for
// writes made by the remote PBX, and events can be lost (queue overflow) even locally.
// fs.watch only makes the next scan come sooner. We watch each directory our own walk
// entered instead of `fs.watch(inbox, { recursive: true })`: on Linux, Node 20 emulates
// recursion by walking the tree itself and FOLLOWS symlinked directories (checked on
// 20.20), so one link to `/` would have it watch the whole disk.
import { watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** inotify watches are a shared, limited resource; beyond this we rely on the rescan. */
export const MAX_WATCHED_DIRS = 512;

export interface WakeUpOptions {
  intervalMs: number;
  settleMs: number;
  /** time to scan (the caller makes sure scans never overlap) */
  onWake(): void;
}

export interface WakeUp {
  readonly running: boolean;
  /** watch these folders first (the inbox: a file dropped during the first walk is seen soon) */
  start(dirs: string[]): void;
  /** timers and watchers off */
  stop(): void;
  /** watch exactly these folders (the ones the last walk entered), up to MAX_WATCHED_DIRS */
  watch(dirs: string[]): void;
  /** a scan ended: the next is due in `delay` ms, or sooner when a hint comes */
  scanned(delay: number): void;
}

export function createWakeUp(opts: WakeUpOptions): WakeUp {
  // Hints from fs.watch may bring a scan forward, but not closer than this to the last one:
  // a PBX writing in small chunks fires an event per write.
  const minGapMs = Math.min(opts.intervalMs, Math.max(50, opts.settleMs / 2));
  const watchers = new Map<string, FSWatcher>();
  const unwatchable = new Set<string>();
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let lastScanEnd = 0;

  function syncWatchers(dirs: string[]): void {
    if (!running) return;
    const wanted = new Set(dirs.slice(0, MAX_WATCHED_DIRS));
    for (const [d, w] of watchers) {
      if (!wanted.has(d)) {
        w.close();
        watchers.delete(d);
      }
    }
    let added = false;
    for (const d of wanted) {
      if (watchers.has(d) || unwatchable.has(d)) continue;
      try {
        // persistent: false — the timers keep the service alive; a watcher alone must not
        const w = watch(d, { persistent: false }, hint);
        added = true;
        w.on('error', () => {
          w.close(); // a hint source failing costs latency only; the rescan still runs
          watchers.delete(d);
          unwatchable.add(d); // not again: re-adding would rescan, fail, re-add… in a loop
        });
        watchers.set(d, w);
      } catch {
        // unsupported here (some network file systems): the periodic rescan covers it
        unwatchable.add(d);
      }
    }
    // A folder walked before its watcher existed may have changed in between (the PBX
    // creates 2026/11/29/ and the day's first call in it at once): look once more soon.
    if (added) hint();
  }

  function hint(): void {
    schedule(Math.max(0, lastScanEnd + minGapMs - performance.now()));
  }

  /** Sets the timer to fire in `delay` ms unless it already fires sooner. */
  function schedule(delay: number): void {
    if (!running) return;
    const at = performance.now() + delay;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      opts.onWake();
    }, delay);
  }

  return {
    get running() {
      return running;
    },
    start(dirs) {
      running = true;
      syncWatchers(dirs);
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Infinity;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
    watch: syncWatchers,
    scanned(delay) {
      lastScanEnd = performance.now();
      schedule(delay);
    },
  };
}
