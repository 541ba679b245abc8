import { TresorError } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import type { LogWriter } from '../core/types.ts';
import type { Tokenizer } from '../crypto/index.ts';
import type { HoldRow, HoldSearch, IndexStore, RecordingRow } from '../store/index.ts';
import { rowMatches } from '../store/index.ts';
import { requestApproval } from '../approvals/index.ts';
import { type ApprovalRow } from '../store/index.ts';

/**
 * Legal holds: a case (name, reason) whose scope is a list of recording ids and/or a saved
 * search. The search is matched against every recording at purge time, so calls that
 * arrive after the hold was placed are caught too. A held recording is never purged,
 * whatever its policy says.
 */
export function activeHolds(store: IndexStore): HoldRow[] {
  return store.holds.active();
}

export function searchMatches(s: HoldSearch, r: RecordingRow): boolean {
  return rowMatches(r, s);
}

// A hold may list thousands of ids and a purge asks about every due recording: one Set per row read.
const idSets = new WeakMap<HoldRow, Set<string>>();
function idSet(h: HoldRow): Set<string> {
  let s = idSets.get(h);
  if (!s) idSets.set(h, (s = new Set(h.ids)));
  return s;
}

/** The id of an active hold covering this recording, or null. `holds` lets a purge run reuse one read. */
export function heldBy(store: IndexStore, row: RecordingRow, holds: HoldRow[] = activeHolds(store)): string | null {
  for (const h of holds) {
    if (idSet(h).has(row.id)) return h.id;
    if (h.search && searchMatches(h.search, row)) return h.id;
  }
  return null;
}

// ─── write side ──────────────────────────────────────────────────────────────────────

/** The four-eyes kind for releasing a hold (src/retention/approvals.ts). */
export const HOLD_RELEASE_KIND = 'hold.release';
/** More ids than this belong in a saved search (a queue, a number, a time range). */
export const MAX_HOLD_IDS = 10_000;
const MAX_CASE = 300;
const MAX_REASON = 2000;
const SEARCH_KEYS = ['fromMs', 'toMs', 'queue', 'direction', 'phoneToken', 'agentToken', 'consentState'] as const;

export interface AddHoldInput {
  caseName: string;
  reason: string;
  ids?: string[];
  search?: HoldSearch | null;
  now?: number;
  /** the number / agent as typed, and the sealer to keep them (see HoldRow.sealedSearch) */
  shown?: { number?: string; agent?: string; seal: (context: string, plain: string) => string };
}

/** The search fields as people type them, already parsed (dates as ms, number as E.164). */
export interface HoldSearchInput {
  fromMs?: number;
  toMs?: number;
  number?: string;
  agent?: string;
  queue?: string;
  direction?: HoldSearch['direction'];
  consentState?: HoldSearch['consentState'];
}

/**
 * A saved search as a hold keeps it: numbers and agents only as the keyed tokens the
 * index holds (the same `tokenize` the ingest uses), never in the clear. Null when no
 * field is set.
 */
export function holdSearchOf(keys: Tokenizer, q: HoldSearchInput): HoldSearch | null {
  const s: HoldSearch = {};
  if (q.fromMs !== undefined) s.fromMs = q.fromMs;
  if (q.toMs !== undefined) s.toMs = q.toMs;
  if (q.number) s.phoneToken = keys.tokenize('phone', q.number);
  if (q.agent?.trim()) s.agentToken = keys.tokenize('agent', q.agent.trim().toLowerCase());
  if (q.queue?.trim()) s.queue = q.queue.trim();
  if (q.direction) s.direction = q.direction;
  if (q.consentState) s.consentState = q.consentState;
  return Object.keys(s).length ? s : null;
}

/**
 * A hold whose saved search names a number or an agent: which calls it keeps tells
 * something about a person, so only roles that see personal data are shown its members
 * (issue 16: the masked recording page told an admin which calls a number's hold kept).
 */
export function searchesPersonalData(h: Pick<HoldRow, 'search'>): boolean {
  return !!(h.search?.phoneToken || h.search?.agentToken);
}

/** Which fields a saved search uses (names only: for the log and for summaries). */
export function searchFields(s: HoldSearch | null): string[] {
  return s ? SEARCH_KEYS.filter((k) => s[k] !== undefined) : [];
}

function cleanSearch(s: HoldSearch | null | undefined): HoldSearch | null {
  if (!s) return null;
  const out: HoldSearch = {};
  for (const k of Object.keys(s)) {
    if (!(SEARCH_KEYS as readonly string[]).includes(k)) throw new TresorError('E_INVALID', `hold search: unknown field "${k}"`);
  }
  for (const k of ['fromMs', 'toMs'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    if (!Number.isFinite(v)) throw new TresorError('E_INVALID', `hold search: ${k} is not a time`);
    out[k] = v;
  }
  if (out.fromMs !== undefined && out.toMs !== undefined && out.fromMs > out.toMs) throw new TresorError('E_INVALID', 'hold search: from is after to');
  if (s.direction !== undefined) {
    if (!['in', 'out', 'internal', 'unknown'].includes(s.direction)) throw new TresorError('E_INVALID', 'hold search: direction is in, out, internal or unknown');
    out.direction = s.direction;
  }
  if (s.consentState !== undefined) {
    if (!['granted', 'denied', 'unknown'].includes(s.consentState)) throw new TresorError('E_INVALID', 'hold search: consent is granted, denied or unknown');
    out.consentState = s.consentState;
  }
  for (const k of ['queue', 'phoneToken', 'agentToken'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !v) throw new TresorError('E_INVALID', `hold search: ${k} must be a non-empty string`);
    out[k] = v;
  }
  return Object.keys(out).length ? out : null;
}

/**
 * Places a legal hold. One person suffices (holding on to data is the safe direction;
 * letting go needs four eyes, see requestHoldRelease). Every id must be a recording that
 * is in the archive now: a well-formed id of a recording that was never ingested, or is
 * already purged, is refused with the list of such ids, since a mistyped id would
 * otherwise protect nothing without anyone noticing. A saved search needs at least one
 * field (an empty one would hold everything; use a date range for that).
 *
 * The case name and reason may name people: they stay in the row (shown to holds.manage
 * only); the log entry `hold.placed` carries the hold id and counts.
 */
export async function addHold(store: IndexStore, log: LogWriter, by: string, input: AddHoldInput): Promise<HoldRow> {
  const now = input.now ?? Date.now();
  const caseName = (input.caseName ?? '').trim();
  const reason = (input.reason ?? '').trim();
  if (!caseName) throw new TresorError('E_INVALID', 'a hold needs a case name (e.g. the court file number)', { detail: { reason: 'no-case' } });
  if (caseName.length > MAX_CASE) throw new TresorError('E_INVALID', `the case name is longer than ${MAX_CASE} characters`);
  if (!reason) throw new TresorError('E_INVALID', 'a hold needs a reason', { detail: { reason: 'no-reason' } });
  if (reason.length > MAX_REASON) throw new TresorError('E_INVALID', `the reason is longer than ${MAX_REASON} characters`);
  const typed = (input.ids ?? []).map((s) => s.trim()).filter(Boolean);
  const malformed = typed.filter((id) => !isId(id.toUpperCase()));
  const ids = [...new Set(typed.map((s) => s.toUpperCase()))];
  if (ids.length > MAX_HOLD_IDS) throw new TresorError('E_INVALID', `at most ${MAX_HOLD_IDS} ids per hold; hold by search (queue, number, dates) instead`);
  if (malformed.length) {
    throw new TresorError('E_INVALID', `not recording ids: ${malformed.slice(0, 10).join(', ')}${malformed.length > 10 ? ` and ${malformed.length - 10} more` : ''}`,
      { detail: { reason: 'malformed-id', ids: malformed } });
  }
  const search = cleanSearch(input.search);
  if (!ids.length && !search) throw new TresorError('E_INVALID', 'a hold needs recording ids or at least one search field', { detail: { reason: 'empty-scope' } });
  const row: HoldRow = {
    v: 1, id: newId(now), caseName, reason, ids, search, createdAt: now, createdBy: by,
    state: 'active', releasedAt: null, releasedBy: null, releaseApprovalId: null,
  };
  const shown = input.shown && (input.shown.number || input.shown.agent?.trim())
    ? { ...(input.shown.number ? { number: input.shown.number } : {}), ...(input.shown.agent?.trim() ? { agent: input.shown.agent.trim() } : {}) } : null;
  if (shown && search) row.sealedSearch = input.shown!.seal(holdContext(row.id), JSON.stringify(shown));
  const unknown = await store.tx(() => {
    const missing = ids.filter((id) => !store.recordings.get(id));
    if (missing.length) return missing;
    store.holds.put(row);
    log.appendSync([{
      actor: by, action: 'hold.placed', target: `hold:${row.id}`,
      // the token prefixes, as a search's entry has them: which number a hold is about
      // can be matched later (by whoever may compute the token), yet the log holds none
      detail: {
        ids: ids.length, search: searchFields(search),
        ...(search?.phoneToken ? { phoneToken: search.phoneToken.slice(0, 16) } : {}),
        ...(search?.agentToken ? { agentToken: search.agentToken.slice(0, 16) } : {}),
      },
    }]);
    return null;
  });
  if (unknown) {
    const purged = unknown.filter((id) => store.purged.get(id));
    throw new TresorError('E_NOT_FOUND',
      `not in the archive${purged.length ? ` (${purged.length} already purged)` : ''}: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`,
      { detail: { reason: 'unknown-id', ids: unknown } });
  }
  return row;
}

export function getHold(store: IndexStore, id: string): HoldRow | undefined {
  return store.holds.get(id);
}

/** Every hold (or those in one state), newest first. */
export function listHolds(store: IndexStore, opts: { state?: HoldRow['state'] } = {}): HoldRow[] {
  return store.holds.list(opts.state);
}

/**
 * Asks for a hold's release (four-eyes): a second, different person with
 * approvals.decide approves on /approvals or with `tresor approve`; then releaseHold runs.
 */
export async function requestHoldRelease(
  store: IndexStore, log: LogWriter, by: string, holdId: string, o: { reason: string; person?: string; now?: number },
): Promise<ApprovalRow> {
  const h = getHold(store, holdId);
  if (!h) throw new TresorError('E_NOT_FOUND', `no hold ${holdId}`);
  if (h.state !== 'active') throw new TresorError('E_CONFLICT', `hold ${holdId} is already released`, { detail: { reason: 'released' } });
  return requestApproval(store, log, {
    kind: HOLD_RELEASE_KIND, target: `hold:${holdId}`, by, person: o.person, reason: o.reason, payload: { holdId }, now: o.now,
  });
}

/** Releases a hold; only the executor of an approved `hold.release` request calls this. */
export async function releaseHold(
  store: IndexStore, log: LogWriter, holdId: string, o: { by: string; approval: ApprovalRow; now?: number },
): Promise<{ released: string } | { alreadyReleased: string }> {
  const now = o.now ?? Date.now();
  if (o.approval.kind !== HOLD_RELEASE_KIND || o.approval.target !== `hold:${holdId}` || (o.approval.state !== 'approved' && o.approval.state !== 'done')) {
    throw new TresorError('E_FORBIDDEN', `releasing hold ${holdId} needs an approved ${HOLD_RELEASE_KIND} request for it`);
  }
  const r = await store.tx(() => {
    const h = store.holds.get(holdId);
    if (!h) return 'missing' as const;
    if (h.state === 'released') return 'released' as const;
    store.holds.put({ ...h, state: 'released', releasedAt: now, releasedBy: o.by, releaseApprovalId: o.approval.id });
    log.appendSync([{
      actor: o.by, action: 'hold.released', target: `hold:${holdId}`,
      detail: { approval: o.approval.id, requestedBy: o.approval.requestedBy },
    }]);
    return 'ok' as const;
  });
  if (r === 'missing') throw new TresorError('E_NOT_FOUND', `no hold ${holdId}`);
  return r === 'released' ? { alreadyReleased: holdId } : { released: holdId };
}

/** The sealing context of a hold's typed search fields. */
export const holdContext = (id: string) => `hold:${id}`;

/** The number / agent a hold's search was typed with, for viewers who may see them; null when not kept. */
export function shownSearchOf(h: Pick<HoldRow, 'id' | 'sealedSearch'>, open: (context: string, sealed: string) => string): { number?: string; agent?: string } | null {
  if (!h.sealedSearch) return null;
  try {
    return JSON.parse(open(holdContext(h.id), h.sealedSearch)) as { number?: string; agent?: string };
  } catch {
    return null;
  }
}

/** Scan budget of heldNow: past it, the page says "at least". */
export const HELD_NOW_BUDGET = 50_000;

/**
 * How many calls in the archive a hold keeps right now (its ids still there, plus its
 * search's matches), issue 15 item 5. A search by number or queue walks its token range;
 * one by dates only walks the time index, up to HELD_NOW_BUDGET entries.
 */
export function heldNow(store: IndexStore, h: HoldRow): { n: number; atLeast: boolean } {
  const seen = new Set<string>();
  for (const id of h.ids) if (store.recordings.has(id)) seen.add(id);
  let atLeast = false;
  if (h.search) {
    let before: [number, string] | undefined;
    let budget = HELD_NOW_BUDGET;
    for (;;) {
      const page = store.recordings.search({ ...h.search, limit: 1000, ...(before ? { before } : {}) }, budget);
      for (const r of page.rows) seen.add(r.id);
      budget -= page.scanned;
      if (!page.next) break;
      if (budget <= 0) {
        atLeast = true;
        break;
      }
      before = page.next;
    }
  }
  return { n: seen.size, atLeast };
}
