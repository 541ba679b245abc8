import type { Handles } from './handles.ts';
import type { ConsentState, Direction } from '../core/types.ts';
import { TresorError } from '../core/errors.ts';

/**
 * A recording as the index holds it. Everything here is non-personal or a keyed token;
 * personal fields live in `personal`, sealed with the recording's DEK.
 */
export interface RecordingRow {
  v: 1;
  id: string;
  start: number;
  durationMs: number;
  direction: Direction;
  queue: string | null;
  consentState: ConsentState;
  purpose: string | null;
  tags: string[];
  channels: number;
  sampleRate: number;
  sourceCodec: string;
  storedFormat: string;
  storedBytes: number;
  sourceSha256: string;
  sourceBytes: number;
  ingestedAt: number;
  nameFormat: string;
  startFromMtime: boolean;
  /** where the audio envelope lives */
  segment: string;
  offset: number;
  length: number;
  payloadSha256: string;
  /** sealed JSON of PersonalFields */
  personal: Uint8Array;
  /** keyed tokens (HMAC) of numbers and agent, for lookups and to drop on purge */
  tokens: TokenRef[];
  /**
   * which retention policy holds the recording and until when (null: no policy matched, kept);
   * awaitingClock: ingested while the clock was suspect, no expiry until an admin confirms the time
   */
  retention?: { policy: string | null; expiresAt: number | null; awaitingClock?: true };
  /** marks the gates decided at ingest (kinds, never personal data; src/policy/gates.ts) */
  marks?: string[];
  /**
   * consent evidence (issue 12), oldest first: each record sealed with the recording's DEK
   * (crypto-shredded with it); in clear only method, state and the sealed bytes' SHA-256,
   * which the `consent.recorded` log entry names
   */
  consentEvidence?: SealedConsent[];
  /**
   * a dpo's or supervisor's decision on each advisory speech finding (issue 12 #5), by
   * finding id (src/speech/review.ts); ids and actors only, the words stay sealed
   */
  speechReviews?: SpeechReview[];
}

export interface SpeechReview {
  finding: string;
  decision: 'confirmed' | 'dismissed';
  by: string;
  at: number;
}

export interface SealedConsent {
  method: string;
  state: ConsentState;
  /** advisory evidence (a speech finding): never the call's state */
  advisory?: true;
  sha256: string;
  sealed: Uint8Array;
}

export interface PersonalFields {
  from: string | null;
  to: string | null;
  agent: string | null;
  callId: string | null;
  sourceName: string;
  consent: { state: ConsentState; method?: string; at?: string; evidence?: string };
  extra: Record<string, unknown>;
  /** supplementary statements of rectifications (GDPR Art. 16), sealed with the rest */
  statements?: { fields: string[]; at: string; by: string; statement: string }[];
}

export interface TokenRef {
  /**
   * customer: the sidecar's `customerId` (kept sealed in `extra`), tokenised since issue 11;
   * agent: the whole name, lower case; agentName: each folded part of it (issue 15, core/agent-name.ts)
   */
  kind: 'phone' | 'agent' | 'callId' | 'customer' | 'agentName';
  token: string;
}

export interface SearchFilters {
  fromMs?: number;
  toMs?: number;
  /** tokens: each must match one of the recording's tokens of that kind */
  phoneToken?: string;
  agentToken?: string;
  /** tokens of folded name parts (issue 15): the recording must carry every one */
  agentNameTokens?: string[];
  customerToken?: string;
  queue?: string;
  /** the recording carries this tag (tags and purposes are no personal data: kept in clear) */
  tag?: string;
  purpose?: string;
  direction?: Direction;
  consentState?: ConsentState;
  minDurationMs?: number;
  maxDurationMs?: number;
  limit?: number;
  /** cursor: continue after this [start, id] (newest first) */
  before?: [number, string];
}

/**
 * The non-personal facts a search filters on, stored as the value of each time and token
 * index entry: a rare filter ("consent denied", "longer than 9 minutes") is decided from
 * the index entry itself, and only matches load (and decrypt) their full row.
 * Entries written before this existed hold `true` and fall back to the row.
 */
type Facts = [durationMs: number, direction: Direction, consent: ConsentState, queue: string | null];
function factsOf(row: RecordingRow): Facts {
  return [row.durationMs, row.direction, row.consentState, row.queue];
}
function factsMatch(v: Facts, f: SearchFilters): boolean {
  const [durationMs, direction, consent, queue] = v;
  if (f.direction && direction !== f.direction) return false;
  if (f.consentState && consent !== f.consentState) return false;
  if (f.queue && queue !== f.queue) return false;
  if (f.minDurationMs !== undefined && durationMs < f.minDurationMs) return false;
  if (f.maxDurationMs !== undefined && durationMs > f.maxDurationMs) return false;
  return true;
}

/**
 * Longest queue name the index takes: it is part of a key, and LMDB keys are at most 1978
 * bytes (a 3,000-character queue once failed a commit half-way, issue 9). Sidecars are
 * limited to 256 characters (src/ingest/sidecar.ts), which always fits.
 */
export const MAX_QUEUE_KEY_BYTES = 1024;

/** Throws before any write when `row` would not fit the index's keys. */
export function checkRecordingKeys(row: Pick<RecordingRow, 'queue'>): void {
  if (row.queue && Buffer.byteLength(row.queue) > MAX_QUEUE_KEY_BYTES) {
    throw new TresorError('E_SIDECAR_INVALID', `queue is ${Buffer.byteLength(row.queue)} bytes; the index takes at most ${MAX_QUEUE_KEY_BYTES}`);
  }
}

export interface SearchPage {
  rows: RecordingRow[];
  /** continue with `before: next` for older matches; null when the range is exhausted */
  next: [number, string] | null;
  /** index entries looked at (the scan budget bounds a rare filter on a huge archive) */
  scanned: number;
}

/** Entries one search may look at: keeps a rare filter (say, consent "denied" over a
 *  million calls) from holding the event loop; the page then says how far back it got. */
export const SCAN_BUDGET = 10_000;

/** Whether a row meets every filter that is set (searches and legal holds' saved searches). */
export function rowMatches(r: RecordingRow, f: SearchFilters): boolean {
  if (f.toMs !== undefined && r.start > f.toMs) return false;
  if (f.fromMs !== undefined && r.start < f.fromMs) return false;
  if (f.direction && r.direction !== f.direction) return false;
  if (f.queue && r.queue !== f.queue) return false;
  if (f.consentState && r.consentState !== f.consentState) return false;
  if (f.minDurationMs !== undefined && r.durationMs < f.minDurationMs) return false;
  if (f.maxDurationMs !== undefined && r.durationMs > f.maxDurationMs) return false;
  if (f.phoneToken && !r.tokens.some((t) => t.kind === 'phone' && t.token === f.phoneToken)) return false;
  if (f.agentToken && !r.tokens.some((t) => t.kind === 'agent' && t.token === f.agentToken)) return false;
  if (f.agentNameTokens && !f.agentNameTokens.every((tok) => r.tokens.some((t) => t.kind === 'agentName' && t.token === tok))) return false;
  if (f.customerToken && !r.tokens.some((t) => t.kind === 'customer' && t.token === f.customerToken)) return false;
  if (f.tag && !r.tags.includes(f.tag)) return false;
  if (f.purpose && r.purpose !== f.purpose) return false;
  return true;
}

/** The index entries by clear value (queue, tags, purpose) of a row: [kind, value] pairs. */
function plainKeys(row: Pick<RecordingRow, 'queue' | 'tags' | 'purpose'>): [string, string][] {
  const out: [string, string][] = [];
  const fits = (v: string) => Buffer.byteLength(v) <= MAX_QUEUE_KEY_BYTES;
  if (row.queue) out.push(['queue', row.queue]);
  for (const t of new Set(row.tags ?? [])) if (t && fits(t)) out.push(['tag', t]);
  if (row.purpose && fits(row.purpose)) out.push(['purpose', row.purpose]);
  return out;
}

/** The most selective index range for a search: a person's token first, then a clear value. */
function keyOf(f: SearchFilters): [string, string] | null {
  if (f.phoneToken) return ['phone', f.phoneToken];
  if (f.customerToken) return ['customer', f.customerToken];
  if (f.agentNameTokens?.length) return ['agentName', f.agentNameTokens[0]!];
  if (f.agentToken) return ['agent', f.agentToken];
  if (f.tag) return ['tag', f.tag];
  if (f.purpose) return ['purpose', f.purpose];
  if (f.queue) return ['queue', f.queue];
  return null;
}

/** Where a recording's envelope lives (compaction moves it; nothing else about the row changes). */
export type RecordingLocation = Pick<RecordingRow, 'segment' | 'offset' | 'length' | 'payloadSha256'>;

/**
 * `recordings`: recording id → RecordingRow, and the secondary indexes that belong to it,
 * written here only (issue 10: `byExpiry` used to be written by ingest and by retention):
 * - `tokens` [kind, token, startMs, id] → facts: phone/agent/agentName/callId/customer lookups
 *   by keyed token, without plaintext; `queue`, `tag` and `purpose` entries by their clear
 *   value (no personal data; a key must fit, so only values up to MAX_QUEUE_KEY_BYTES)
 * - `byStart` [startMs, id] → facts: time-ordered listing
 * - `bySha` source SHA-256 hex → id: duplicate detection (keys with a `q:` prefix belong
 *   to quarantine entries, src/store/quarantine.ts)
 * - `byExpiry` [expiresAt ms, id] → true: what the purge takes next
 * Writes belong inside store.tx.
 */
export class RecordingsTable {
  readonly #rows: Handles['recordings'];
  readonly #tokens: Handles['tokens'];
  readonly #byStart: Handles['byStart'];
  readonly #bySha: Handles['bySha'];
  readonly #byExpiry: Handles['byExpiry'];
  constructor(h: Handles) {
    this.#rows = h.recordings;
    this.#tokens = h.tokens;
    this.#byStart = h.byStart;
    this.#bySha = h.bySha;
    this.#byExpiry = h.byExpiry;
  }

  get(id: string): RecordingRow | undefined {
    return this.#rows.get(id) as RecordingRow | undefined;
  }

  has(id: string): boolean {
    return this.#rows.doesExist(id);
  }

  /**
   * From LMDB's own statistics (mdb_stat), O(1): lmdb-js getCount() walks every entry,
   * ~0.2 ms per 1000 rows, which the dashboard's 10-second poll cannot afford at 1M calls.
   */
  count(): number {
    return (this.#rows as unknown as { getStats(): { entryCount: number } }).getStats().entryCount;
  }

  /** Every row in id order (ids are time-ordered: `fromId` starts at an id floor), or newest first. */
  *rows(o: { fromId?: string; reverse?: boolean; limit?: number } = {}): Iterable<RecordingRow> {
    const range = this.#rows.getRange({
      ...(o.fromId !== undefined ? { start: o.fromId } : {}), ...(o.reverse ? { reverse: true } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}),
    });
    for (const { value } of range) yield value as RecordingRow;
  }

  /** Ids in order, from `fromId` (inclusive) on, at most `limit` of them. */
  ids(o: { fromId?: string; limit?: number } = {}): Iterable<string> {
    return this.#rows.getKeys({ ...(o.fromId !== undefined ? { start: o.fromId } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}) }) as Iterable<string>;
  }

  /** The recording these source bytes were archived as (the mapping only: check the row). */
  idForSha(sha256: string): string | undefined {
    return this.#bySha.get(sha256) as string | undefined;
  }

  /** Ids of recordings whose expiry is at or before `t`, soonest first (the row decides: re-check it). */
  *expiringBefore(t: number): Iterable<string> {
    for (const key of this.#byExpiry.getKeys({ end: [t, '\uffff'] })) yield key[1] as string;
  }

  /** Whether the time index has the entry of a row (fsck, tests). */
  inTimeIndex(start: number, id: string): boolean {
    return this.#byStart.doesExist([start, id]);
  }

  /** Writes a recording and its secondary entries; checks the keys fit before the first write. */
  put(row: RecordingRow): void {
    checkRecordingKeys(row);
    void this.#rows.put(row.id, row);
    if (row.retention?.expiresAt != null) void this.#byExpiry.put([row.retention.expiresAt, row.id], true);
    const facts = factsOf(row);
    void this.#byStart.put([row.start, row.id], facts);
    void this.#bySha.put(row.sourceSha256, row.id);
    for (const k of plainKeys(row)) void this.#tokens.put([...k, row.start, row.id], facts);
    for (const t of row.tokens) void this.#tokens.put([t.kind, t.token, row.start, row.id], facts);
  }

  /**
   * `tresor reindex` (issue 15): adds the index entries a recording ingested before this
   * version lacks — the given tokens (name parts, opened from its sealed fields by the
   * caller) and its tag and purpose entries. Entries it has already are written again
   * (same key, same value), so running it twice changes nothing. False when gone.
   */
  reindex(id: string, add: TokenRef[]): boolean {
    const row = this.get(id);
    if (!row) return false;
    const facts = factsOf(row);
    const have = new Set(row.tokens.map((t) => `${t.kind}\0${t.token}`));
    const fresh = add.filter((t) => !have.has(`${t.kind}\0${t.token}`));
    const tokens = [...row.tokens, ...fresh];
    for (const k of plainKeys(row)) void this.#tokens.put([...k, row.start, row.id], facts);
    for (const t of tokens) void this.#tokens.put([t.kind, t.token, row.start, row.id], facts);
    if (fresh.length) void this.#rows.put(id, { ...row, tokens });
    return true;
  }

  /**
   * Replaces a recording's retention decision and moves its `byExpiry` entry with it
   * (policy changes, clock confirmation). Returns false when there is no such recording.
   */
  setRetention(id: string, retention: NonNullable<RecordingRow['retention']>): boolean {
    const row = this.get(id);
    if (!row) return false;
    if (row.retention?.expiresAt != null) void this.#byExpiry.remove([row.retention.expiresAt, id]);
    if (retention.expiresAt != null) void this.#byExpiry.put([retention.expiresAt, id], true);
    void this.#rows.put(id, { ...row, retention });
    return true;
  }

  /** Replaces a recording's marks (Art. 18 restriction and its lifting); no index entry depends on them. */
  setMarks(id: string, marks: string[]): boolean {
    const row = this.get(id);
    if (!row) return false;
    const { marks: _old, ...rest } = row;
    void this.#rows.put(id, marks.length ? { ...rest, marks } : rest);
    return true;
  }

  /**
   * Rectification (GDPR Art. 16): the re-sealed personal fields and the new tokens; the token
   * index entries move with them (the old number no longer finds the call).
   */
  rectify(id: string, personal: Uint8Array, tokens: TokenRef[]): boolean {
    const row = this.get(id);
    if (!row) return false;
    for (const t of row.tokens) void this.#tokens.remove([t.kind, t.token, row.start, row.id]);
    const facts = factsOf(row);
    for (const t of tokens) void this.#tokens.put([t.kind, t.token, row.start, row.id], facts);
    void this.#rows.put(id, { ...row, personal, tokens });
    return true;
  }

  /** Points a recording at its envelope's new place (compaction); no index entry depends on it. */
  relocate(id: string, loc: Partial<RecordingLocation>): boolean {
    const row = this.get(id);
    if (!row) return false;
    void this.#rows.put(id, { ...row, ...loc });
    return true;
  }

  /** Removes a recording's row and every secondary entry (tokens, time, sha, expiry). Returns the row it removed. */
  drop(id: string): RecordingRow | undefined {
    const row = this.get(id);
    if (!row) return undefined;
    void this.#rows.remove(row.id);
    void this.#byStart.remove([row.start, row.id]);
    if (this.#bySha.get(row.sourceSha256) === row.id) void this.#bySha.remove(row.sourceSha256);
    for (const k of plainKeys(row)) void this.#tokens.remove([...k, row.start, row.id]);
    for (const t of row.tokens) void this.#tokens.remove([t.kind, t.token, row.start, row.id]);
    if (row.retention?.expiresAt != null) void this.#byExpiry.remove([row.retention.expiresAt, row.id]);
    return row;
  }

  /**
   * Newest first. Uses the most selective key: a token range when a number or agent is
   * given (the index leaks no numbers, so lookups are by HMAC token), else the time index.
   */
  /**
   * Every recording carrying this token (a data subject's number or customer id), oldest
   * first: the whole key range of the token index, no scan budget (a subject's calls are
   * few; GDPR Art. 15 wants all of them, not a page).
   */
  idsByToken(kind: TokenRef['kind'], token: string): string[] {
    const out: string[] = [];
    for (const key of this.#tokens.getKeys({ start: [kind, token], end: [kind, token, Number.MAX_SAFE_INTEGER, '\uffff'] })) out.push(key[3] as string);
    return out;
  }

  search(f: SearchFilters, budget = SCAN_BUDGET): SearchPage {
    const limit = Math.max(1, Math.min(f.limit ?? 50, 1000));
    const hi = f.before ? [f.before[0], f.before[1]] : [f.toMs ?? Number.MAX_SAFE_INTEGER, '\uffff'];
    const lo = f.fromMs ?? 0;
    const out: RecordingRow[] = [];
    const keyed = keyOf(f);
    const range = keyed
      ? this.#tokens.getRange({ start: [...keyed, ...hi], end: [...keyed, lo], reverse: true })
      : this.#byStart.getRange({ start: hi, end: [lo], reverse: true });
    let scanned = 0;
    let lastKey: [number, string] | null = null;
    for (const { key, value } of range) {
      const id = key[key.length - 1] as string;
      const start = key[key.length - 2] as number;
      if (f.before && id === f.before[1] && start === f.before[0]) continue;
      if (scanned >= budget) return { rows: out, next: lastKey, scanned };
      scanned++;
      lastKey = [start, id];
      if (Array.isArray(value) && !factsMatch(value as Facts, f)) continue;
      const row = this.get(id);
      if (!row || !rowMatches(row, f)) continue;
      out.push(row);
      if (out.length >= limit) return { rows: out, next: lastKey, scanned };
    }
    return { rows: out, next: null, scanned };
  }
}

