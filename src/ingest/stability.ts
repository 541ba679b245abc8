// When is a file in the inbox finished, and what do we say about it? The stability
// tracker takes one walk's observations and the time, and answers which files are ready,
// which are rejected and when to look again. It handles:
//  - files written in chunks over a network share (SMB/NFS copies pause between writes):
//    a file is ready only when size, mtime and inode stayed identical across observations
//    spanning ≥ settleMs;
//  - renames and replacements: a new inode or size restarts the clock (a PBX writing to a
//    temp name and renaming over the old file);
//  - deletions: state for vanished paths is dropped, so a later file of that name is new;
//    but only after a complete walk (an SMB mount gone for a moment is not "all deleted");
//  - sidecars arriving late: the audio waits until its `NAME.json` has settled too; a
//    sidecar is never taken on its own, and one that is not a single-link regular file
//    refuses its audio (the call could be stored with the wrong consent);
//  - links, FIFOs, sockets, devices: rejected from lstat alone, never followed or opened
//    (opening a FIFO blocks until a writer appears); hard-linked files, files over the
//    size cap and names with no audio extension are rejected once they have settled;
//  - flooding: each rejection is reported once per (path, inode, size);
//  - the pipeline's pace: a file is emitted once; after `release` it is emitted again only
//    when its content changed (a "keep" disposition must not loop), after `forget` at once;
//  - a writer still holding the file (the caller's `isBusy`): asked again next time;
//  - a backlog after downtime: oldest first (mtime, then path), whatever the names.
// No I/O and no clock of its own: the same observations at the same times give the same
// answers, so it is tested with fake stats and a fake clock.
import type { ErrorCode } from '../core/errors.ts';
import { stemOf, type NameKind } from './filter.ts';

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

/** What lstat tells (a node `Stats` is one). */
export interface EntryStat {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  nlink: number;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}

/** One entry of a walk (walk.ts): not a folder, not an ignored name. */
export interface Observed {
  path: string;
  relPath: string;
  /** the folder it is in (absolute): a sidecar pairs with audio in the same folder */
  dir: string;
  name: string;
  kind: NameKind;
  st: EntryStat;
}

export interface StabilityOptions {
  settleMs: number;
  /** the periodic rescan: the latest the next look is due */
  intervalMs: number;
  maxBytes: number;
}

export interface Decision {
  ready: ReadyFile[];
  rejected: RejectedEntry[];
  /** when to look again (ms from `now`): sooner than the interval when a file is about to settle */
  nextScanInMs: number;
}

export interface Stability {
  /**
   * Updates the clocks with one walk seen at `now` and decides. `complete` is false when
   * a folder could not be read: nothing is forgotten then. `isBusy` is a last veto before
   * a file is taken; a throwing one counts as busy (when unsure whether a writer holds it, wait).
   */
  decide(entries: Observed[], complete: boolean, now: number, isBusy?: (path: string) => boolean): Decision;
  /** the pipeline is done with this path: ready again only once its content changes */
  release(path: string): void;
  /** drop the emitted/rejected marks: an unchanged file is ready (or rejected) again */
  forget(path: string): void;
}

interface Track {
  sig: string;
  since: number;
}

interface Emitted {
  sig: string;
  released: boolean;
}

export function createStability(opts: StabilityOptions): Stability {
  const tracks = new Map<string, Track>();
  const emitted = new Map<string, Emitted>();
  const rejectedMarks = new Map<string, string>();

  function decide(entries: Observed[], complete: boolean, now: number, isBusy?: (path: string) => boolean): Decision {
    const out: Decision = { ready: [], rejected: [], nextScanInMs: opts.intervalMs };
    // An unreadable folder (SMB mount gone for a moment) must not look like "all deleted":
    // that would re-report every rejection and re-emit every released file afterwards.
    if (complete) prune(new Set(entries.map((e) => e.path)));
    const sidecars = new Map<string, Observed>();
    for (const e of entries) {
      if (e.kind === 'sidecar') sidecars.set(pairKey(e.dir, stemOf(e.name)), e);
      if (!e.st.isFile()) continue;
      const sig = signature(e.st);
      const t = tracks.get(e.path);
      if (!t || t.sig !== sig) tracks.set(e.path, { sig, since: now });
    }

    let due = opts.intervalMs;
    const reject = (e: Observed, code: ErrorCode, reason: string): void => {
      const key = `${e.st.ino}\0${e.st.size}`;
      if (rejectedMarks.get(e.path) === key) return;
      rejectedMarks.set(e.path, key);
      const { size, mtimeMs, dev, ino } = e.st;
      out.rejected.push({ path: e.path, relPath: e.relPath, code, reason, type: typeOf(e.st), size, mtimeMs, dev, ino });
    };
    const settledIn = (e: Observed): number => {
      const t = tracks.get(e.path);
      return t ? t.since + opts.settleMs - now : opts.settleMs;
    };
    // Oldest first (mtime, then path): a backlog after downtime drains in call order,
    // and the order does not depend on how the file system lists a folder.
    const sorted = [...entries].sort((a, b) => a.st.mtimeMs - b.st.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const e of sorted) {
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
      if (busy(isBusy, e.path)) continue;
      emitted.set(e.path, { sig: signature(e.st), released: false });
      const { size, mtimeMs, dev, ino } = e.st;
      out.ready.push({ path: e.path, relPath: e.relPath, size, mtimeMs, dev, ino, sidecarPath: sidecar ? sidecar.path : null });
    }
    // A little past the deadline, so the next observation really spans settleMs.
    out.nextScanInMs = due < opts.intervalMs ? Math.max(10, due + 5) : opts.intervalMs;
    return out;
  }

  /** In flight, or released and unchanged since it was emitted. */
  function isHeld(e: Observed): boolean {
    const em = emitted.get(e.path);
    if (!em) return false;
    if (!em.released || em.sig === signature(e.st)) return true;
    emitted.delete(e.path); // new content under the old name
    return false;
  }

  /** Forgets vanished paths, so memory stays bounded and a new file of that name is new. */
  function prune(seen: Set<string>): void {
    for (const p of tracks.keys()) if (!seen.has(p)) tracks.delete(p);
    for (const p of rejectedMarks.keys()) if (!seen.has(p)) rejectedMarks.delete(p);
    // An in-flight path stays marked even when gone: the pipeline may have moved it already.
    for (const [p, em] of emitted) if (em.released && !seen.has(p)) emitted.delete(p);
  }

  return {
    decide,
    release(path) {
      const em = emitted.get(path);
      if (em) em.released = true;
    },
    forget(path) {
      emitted.delete(path);
      rejectedMarks.delete(path);
    },
  };
}

function busy(isBusy: ((path: string) => boolean) | undefined, path: string): boolean {
  if (!isBusy) return false;
  try {
    return isBusy(path);
  } catch {
    return true;
  }
}

function signature(st: EntryStat): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

function pairKey(dir: string, stem: string): string {
  return `${dir}\0${stem}`;
}

function typeOf(st: EntryStat): EntryType {
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  return 'other';
}
