// The inbox scanner: finds recordings the PBX has finished writing and hands each one to
// the pipeline once. It handles:
//  - files written in chunks over a network share: a file is ready only when size, mtime
//    and inode stayed identical across observations spanning ≥ settleMs (the sidecar too);
//  - renames and replacements: a new inode or size restarts the clock;
//  - deletions: state for vanished paths is dropped, so a later file of that name is new;
//  - links, FIFOs, sockets, devices: rejected from lstat alone, never followed or opened
//    (opening a FIFO blocks until a writer appears);
//  - flooding: each rejection is reported once per (path, inode, size).
//
// The periodic rescan is the source of truth: SMB/NFS mounts deliver no inotify events for
// writes made by the remote PBX, and events can be lost (queue overflow) even locally.
// fs.watch only makes the next scan come sooner. We watch each directory our own walk
// entered instead of `fs.watch(inbox, { recursive: true })`: on Linux, Node 20 emulates
// recursion by walking the tree itself and FOLLOWS symlinked directories (checked on
// 20.20), so one link to `/` would have it watch the whole disk.
import { opendir, lstat } from 'node:fs/promises';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fromSystemError, TresorError, type ErrorCode } from '../core/errors.ts';
import { classifyName, isIgnoredDirName, isIgnoredName, stemOf, type NameKind } from './filter.ts';

export interface ReadyFile {
  path: string;
  /** relative to the inbox, `/`-separated */
  relPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  /** the settled `NAME.json` beside it, if there is one */
  sidecarPath: string | null;
}

export type EntryType = 'file' | 'symlink' | 'fifo' | 'socket' | 'device' | 'other';

export interface RejectedEntry {
  path: string;
  relPath: string;
  code: ErrorCode;
  reason: string;
  /** what lstat says it is; anything but 'file' must not be opened by whoever handles it */
  type: EntryType;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

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

/** FreePBX needs 3 levels (YYYY/MM/DD); deeper trees are someone's mistake, not ours to walk. */
const MAX_DEPTH = 16;
/** inotify watches are a shared, limited resource; beyond this we rely on the rescan. */
const MAX_WATCHED_DIRS = 512;

interface Entry {
  path: string;
  relPath: string;
  dir: string;
  name: string;
  kind: NameKind;
  st: Stats;
}

interface Track {
  sig: string;
  since: number;
}

interface Emitted {
  sig: string;
  released: boolean;
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
  // Hints from fs.watch may bring a scan forward, but not closer than this to the last one:
  // a PBX writing in small chunks fires an event per write.
  const minGapMs = Math.min(opts.intervalMs, Math.max(50, opts.settleMs / 2));

  const tracks = new Map<string, Track>();
  const emitted = new Map<string, Emitted>();
  const rejected = new Map<string, string>();
  const watchers = new Map<string, FSWatcher>();
  const unwatchable = new Set<string>();
  let lastErrors = new Set<string>();

  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let lastScanEnd = 0;
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
      lastScanEnd = performance.now();
      schedule(nextDelay);
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
      const { entries, dirs, complete } = await walk(report);
      syncWatchers(dirs);
      nextDelay = decide(entries, complete, performance.now());
    } catch (e) {
      report(e, `scanning ${inbox}`);
      nextDelay = opts.intervalMs;
    }
    lastErrors = errors;
  }

  /**
   * Breadth-first walk with lstat only: nothing below the inbox is followed or opened.
   * (The inbox itself may be a link an admin set up, e.g. to a mount; that one is followed.)
   * `complete` is false when a folder could not be read, so state is not pruned on a glitch.
   */
  async function walk(
    report: (e: unknown, what: string) => void,
  ): Promise<{ entries: Entry[]; dirs: string[]; complete: boolean }> {
    const entries: Entry[] = [];
    const dirs: string[] = [];
    let complete = true;
    const fail = (e: unknown, what: string): void => {
      complete = false;
      report(e, what);
    };
    const queue: Array<{ abs: string; rel: string; depth: number }> = [{ abs: inbox, rel: '', depth: 0 }];
    for (let item = queue.shift(); item; item = queue.shift()) {
      dirs.push(item.abs);
      try {
        for await (const d of await opendir(item.abs)) {
          const name = d.name;
          if (name.startsWith('.')) continue; // hidden: never even lstat'ed
          const abs = join(item.abs, name);
          const rel = item.rel === '' ? name : `${item.rel}/${name}`;
          const st = await lstatOrNull(abs, fail);
          if (!st) continue;
          if (st.isDirectory()) {
            if (!isIgnoredDirName(name) && !skipDirs.has(abs) && item.depth < MAX_DEPTH) {
              queue.push({ abs, rel, depth: item.depth + 1 });
            }
          } else if (!isIgnoredName(name)) {
            entries.push({ path: abs, relPath: rel, dir: item.abs, name, kind: classifyName(name), st });
          }
        }
      } catch (e) {
        // A folder that vanished mid-walk is normal (the PBX or an admin tidied up).
        if (item.depth === 0 || errnoOf(e) !== 'ENOENT') fail(e, `reading folder ${item.abs}`);
      }
    }
    return { entries, dirs, complete };
  }

  /** Updates the stability clocks, emits and rejects; returns when the next scan is due. */
  function decide(entries: Entry[], complete: boolean, now: number): number {
    // An unreadable folder (SMB mount gone for a moment) must not look like "all deleted":
    // that would re-report every rejection and re-emit every released file afterwards.
    if (complete) prune(new Set(entries.map((e) => e.path)));
    const sidecars = new Map<string, Entry>();
    for (const e of entries) {
      if (e.kind === 'sidecar') sidecars.set(pairKey(e.dir, stemOf(e.name)), e);
      if (!e.st.isFile()) continue;
      const sig = signature(e.st);
      const t = tracks.get(e.path);
      if (!t || t.sig !== sig) tracks.set(e.path, { sig, since: now });
    }

    let due = opts.intervalMs;
    // Oldest first (mtime, then path): a backlog after downtime drains in call order,
    // and the order does not depend on how the file system lists a folder.
    entries.sort((a, b) => a.st.mtimeMs - b.st.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const settledIn = (e: Entry): number => {
      const t = tracks.get(e.path);
      return t ? t.since + opts.settleMs - now : opts.settleMs;
    };
    for (const e of entries) {
      if (!e.st.isFile()) {
        reject(e, 'E_NOT_REGULAR_FILE', `not a regular file (${typeOf(e.st)}); it is neither followed nor opened`);
        continue;
      }
      if (e.kind === 'sidecar') continue; // taken with its audio, never on its own
      if (isHeld(e)) continue;
      const wait = settledIn(e);
      if (wait > 0) {
        due = Math.min(due, wait);
        continue;
      }
      if (e.kind === 'unsupported') {
        reject(e, 'E_UNSUPPORTED_FORMAT', 'not an audio extension we take; check the PBX recording format');
        continue;
      }
      if (e.st.size > opts.maxBytes) {
        reject(e, 'E_TOO_LARGE', `${e.st.size} bytes is over the limit of ${opts.maxBytes}`);
        continue;
      }
      if (e.st.nlink > 1) {
        reject(e, 'E_NOT_REGULAR_FILE', `has ${e.st.nlink} hard links; only single-link files are taken`);
        continue;
      }
      const sidecar = sidecars.get(pairKey(e.dir, stemOf(e.name)));
      // Without its sidecar the call could be stored with the wrong consent: refuse it.
      if (sidecar && (!sidecar.st.isFile() || sidecar.st.nlink > 1)) {
        reject(e, 'E_SIDECAR_INVALID', `its sidecar ${sidecar.relPath} is not a single-link regular file`);
        continue;
      }
      if (sidecar) {
        const sidecarWait = settledIn(sidecar);
        if (sidecarWait > 0) {
          due = Math.min(due, sidecarWait);
          continue;
        }
      }
      if (busy(e.path)) continue;
      emit(e, sidecar ? sidecar.path : null);
    }
    // A little past the deadline, so the next observation really spans settleMs.
    return due < opts.intervalMs ? Math.max(10, due + 5) : opts.intervalMs;
  }

  /** In flight, or released and unchanged since it was emitted. */
  function isHeld(e: Entry): boolean {
    const em = emitted.get(e.path);
    if (!em) return false;
    if (!em.released || em.sig === signature(e.st)) return true;
    emitted.delete(e.path); // new content under the old name
    return false;
  }

  function emit(e: Entry, sidecarPath: string | null): void {
    emitted.set(e.path, { sig: signature(e.st), released: false });
    const { size, mtimeMs, dev, ino } = e.st;
    safe(() => opts.onReady({ path: e.path, relPath: e.relPath, size, mtimeMs, dev, ino, sidecarPath }));
  }

  function reject(e: Entry, code: ErrorCode, reason: string): void {
    const key = `${e.st.ino}\0${e.st.size}`;
    if (rejected.get(e.path) === key) return;
    rejected.set(e.path, key);
    const { size, mtimeMs, dev, ino } = e.st;
    const r: RejectedEntry = { path: e.path, relPath: e.relPath, code, reason, type: typeOf(e.st), size, mtimeMs, dev, ino };
    safe(() => opts.onRejected(r));
  }

  /** Forgets vanished paths, so memory stays bounded and a new file of that name is new. */
  function prune(seen: Set<string>): void {
    for (const p of tracks.keys()) if (!seen.has(p)) tracks.delete(p);
    for (const p of rejected.keys()) if (!seen.has(p)) rejected.delete(p);
    // An in-flight path stays marked even when gone: the pipeline may have moved it already.
    for (const [p, em] of emitted) if (em.released && !seen.has(p)) emitted.delete(p);
  }

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
      void scanOnce();
    }, delay);
  }

  /** A throwing isBusy counts as busy: when unsure whether a writer holds it, wait. */
  function busy(path: string): boolean {
    if (!opts.isBusy) return false;
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
      if (running) return;
      running = true;
      // Watch the inbox before the first walk: a file dropped while that walk runs would
      // otherwise wait for the next periodic scan (5 s by default, minutes on a slow share).
      syncWatchers([inbox]);
      void scanOnce();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Infinity;
      for (const w of watchers.values()) w.close();
      watchers.clear();
      await (queued ?? current);
    },
    scanOnce,
    release(path) {
      const em = emitted.get(resolve(path));
      if (em) em.released = true;
    },
    forget(path) {
      const p = resolve(path);
      emitted.delete(p);
      rejected.delete(p);
    },
  };
}

async function lstatOrNull(p: string, report: (e: unknown, what: string) => void): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    // the folder, not the file: file names carry phone numbers and this goes to the journal
    if (errnoOf(e) !== 'ENOENT') report(e, `lstat of an entry in ${dirname(p)}`);
    return null; // gone between listing and lstat: it will be seen (or not) next scan
  }
}

function signature(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

function pairKey(dir: string, stem: string): string {
  return `${dir}\0${stem}`;
}

function typeOf(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  return 'other';
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
