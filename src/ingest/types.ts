// What the ingest pipeline, the quarantine, the queue and their callers share: the file
// handed in, how to take it, what became of it, and the service's view of it all.
import type { RecoveryReport } from '../archive/index.ts';
import type { QueueStats } from './queue.ts';
import type { Consent, ConsentEvidence, ConsentState } from '../core/types.ts';

/**
 * The consent step of ingest (issue 12), built by src/consent and handed in at wiring
 * (ingest sits below consent in DESIGN §2): before the commit it gathers the call's
 * evidence (the sidecar's claim, events that came first, DTMF in the consent window);
 * `claim` runs inside the commit transaction (drops the pending events it used).
 */
export interface ConsentStep {
  collect(call: {
    start: number; callId: string | null; sidecar: Consent | null; extra: Record<string, unknown>;
    /** the call's keyed tokens (an `analytics` objection keeps speech analysis off it) */
    tokens: readonly { kind: string; token: string }[];
    /**
     * the first `seconds` of the call as s16le mono PCM at `sampleRate` (one ffmpeg run), from
     * the stored audio, or with `fromSource` from the PBX's file (re-read, hash-checked): speech
     * recognition loses phrases to the lossy Opus coding (measured, issue 12)
     */
    window(seconds: number, sampleRate: number, o?: { fromSource?: boolean }): Promise<Buffer>;
  }): Promise<{
    evidence: ConsentEvidence[];
    /** the call's state from the decisive (non-advisory) evidence; null: none, the sidecar's claim stands */
    state: ConsentState | null;
    /** more log entries about the call (e.g. speech.analysed), appended in the commit */
    notes: { action: string; detail: Record<string, unknown> }[];
    claim(): void;
  }>;
}

export interface SourceFile {
  path: string;
  /** path below the inbox (or the bare name for CLI ingest); parsed for metadata */
  relPath: string;
  sidecarPath: string | null;
}

export interface IngestOptions {
  /**
   * The file is a copy of this quarantine entry (a console or CLI retry): archiving it
   * removes the entry in the same commit, failing again updates the entry in place.
   */
  quarantineId?: string;
  /** the retry brings a corrected sidecar (the log says so) */
  correctedSidecar?: boolean;
}

export type IngestOutcome =
  | { status: 'archived'; id: string; durationMs: number }
  | { status: 'duplicate'; id: string }
  /** `joined`: the bytes were already in quarantine; that entry was updated, not a new one made */
  | { status: 'quarantined'; quarantineId: string; code: string; message: string; joined?: boolean }
  /**
   * left where it is: a fault of the box (disk full, time-out) or not ours to take.
   * `firstReport`: the first deferral of this file for this cause (report it; later scans
   * defer it silently until something changes)
   */
  | { status: 'deferred'; code: string; message: string; firstReport: boolean }
  | { status: 'rejected'; code: string; message: string }
  /** a gate refused the call outright (objection, denied consent): not archived, source destroyed, `recording.refused` logged */
  | { status: 'refused'; reason: string; gate: string }
  | { status: 'skipped'; reason: string };

export interface IngestStatus {
  scannerRunning: boolean;
  queue: QueueStats;
  recovery: RecoveryReport;
  /** `ref`: a keyed token of the path (names carry phone numbers); `tresor inbox locate REF` finds the file */
  rejected: { code: string; ref: string; at: number }[];
  /** files left in the inbox for now (disk full, time-out), one per file, oldest first */
  deferred: { code: string; ref: string; message: string; since: number }[];
}
