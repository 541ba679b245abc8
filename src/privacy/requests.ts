import { TresorError } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { removePackageCopies } from '../core/copies.ts';
import { sealForRequest } from './request-key.ts';
import { OPEN_STATES, REQUEST_KINDS, type RequestKind, type RequestRow, type RequestState } from '../store/index.ts';
import { dueAfter, MAX_EXTENSION_MONTHS } from './deadlines.ts';
import type { PrivacyDeps } from './deps.ts';
import { normaliseIdentifiers, tokensOfIdentifiers, type SubjectIdentifiers } from './identifiers.ts';

/**
 * The register of data-subject requests (GDPR Art. 12–21): when and how each came in,
 * who checked the requester's identity and how, its deadline (Art. 12(3)) and its state:
 *
 *   received → identity-verified → in-progress → answered | refused | withdrawn
 *
 * Identifiers are sealed under the request's own context (`request:<id>`); the row keeps
 * only their keyed tokens in clear, so the register can be searched by a number without
 * holding one. Every transition is one log entry in the same transaction as the row:
 * request id, kind, state (and counts or dates) — never a name, number or free text, the
 * log is kept longer than the request and handed to auditors.
 */

const MAX_TEXT = 2000;
const MAX_CHANNEL = 64;
/** a request dated a little ahead of the box's clock (another PC's clock) is accepted */
const FUTURE_SLACK_MS = 10 * 60_000;

/**
 * What a refusal must tell the subject (Art. 12(4)): why no action is taken, and that they
 * may lodge a complaint with a supervisory authority and seek a judicial remedy.
 */
export const REFUSAL_INFORMATION =
  'Art. 12(4) GDPR: the reasons for not taking action, and the right to lodge a complaint with a supervisory authority and to seek a judicial remedy.';

export function isRequestKind(s: unknown): s is RequestKind {
  return typeof s === 'string' && (REQUEST_KINDS as readonly string[]).includes(s);
}

export function isOpen(r: Pick<RequestRow, 'state'>): boolean {
  return OPEN_STATES.includes(r.state);
}

const context = (id: string) => `request:${id}`;

function text(v: unknown, what: string, max = MAX_TEXT): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) throw new TresorError('E_INVALID', `${what} is required`, { detail: { field: what } });
  if (s.length > max) throw new TresorError('E_INVALID', `${what} is longer than ${max} characters`, { detail: { field: what } });
  return s;
}

function time(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TresorError('E_INVALID', `${what} is not a time`, { detail: { field: what } });
  return v;
}

export interface OpenRequestInput extends SubjectIdentifiers {
  kind: string;
  /** epoch ms; default now */
  receivedAt?: number;
  channel?: string;
  now?: number;
}

/** Registers a request. Validates everything before the one write. */
export async function openRequest(deps: PrivacyDeps, by: string, input: OpenRequestInput): Promise<RequestRow> {
  const now = input.now ?? Date.now();
  if (!isRequestKind(input.kind)) throw new TresorError('E_INVALID', `kind must be one of ${REQUEST_KINDS.join(', ')}`, { detail: { field: 'kind' } });
  const receivedAt = input.receivedAt === undefined ? now : time(input.receivedAt, 'receivedAt');
  if (receivedAt > now + FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'receivedAt is in the future', { detail: { field: 'receivedAt' } });
  const channel = input.channel === undefined ? 'unknown' : text(input.channel, 'channel', MAX_CHANNEL);
  const ids = normaliseIdentifiers(input, deps.phone);
  const id = newId(now);
  const firstDueAt = dueAfter(receivedAt, 1);
  const row: RequestRow = {
    v: 1, id, kind: input.kind, state: 'received', receivedAt, channel, dueAt: firstDueAt, firstDueAt,
    tokens: tokensOfIdentifiers(deps.keys, ids),
    identifiers: '',
    identity: null, extension: null, openedBy: by, openedAt: now, closedAt: null, closedBy: null, closeReason: null,
  };
  await deps.store.tx(() => {
    // sealed in the commit that stores the request's own key (request-key.ts)
    row.identifiers = sealForRequest(deps, id, JSON.stringify(ids));
    deps.store.requests.put(row);
    deps.log.appendSync([{ actor: by, action: 'request.opened', target: `request:${id}`, detail: { kind: row.kind, state: row.state, channel, dueAt: new Date(row.dueAt).toISOString() } }]);
  });
  return row;
}

export function getRequest(deps: Pick<PrivacyDeps, 'store'>, id: string): RequestRow {
  const r = isId(id) ? deps.store.requests.get(id) : undefined;
  if (!r) throw new TresorError('E_NOT_FOUND', `no request ${id}`);
  return r;
}

/**
 * One transition: re-reads the row inside the transaction (two DPOs at once), lets
 * `change` refuse before anything is written, then writes row and log entry together.
 */
async function transition(
  deps: PrivacyDeps, by: string, id: string, action: string,
  change: (r: RequestRow) => { row: RequestRow; detail?: Record<string, unknown> },
): Promise<RequestRow> {
  getRequest(deps, id);
  return deps.store.tx(() => {
    const { row, detail } = change(getRequest(deps, id));
    deps.store.requests.put(row);
    deps.log.appendSync([{ actor: by, action, target: `request:${id}`, detail: { kind: row.kind, state: row.state, ...detail } }]);
    return row;
  });
}

function mustBe(r: RequestRow, states: readonly RequestState[], doing: string): void {
  if (!states.includes(r.state)) {
    throw new TresorError('E_CONFLICT', `request ${r.id} is ${r.state}; ${doing} needs it ${states.join(' or ')}`, { detail: { reason: 'state', state: r.state } });
  }
}

/** Records how the requester's identity was checked (Art. 12(6)), by whom and when. */
export async function verifyIdentity(deps: PrivacyDeps, by: string, id: string, o: { method: string; now?: number }): Promise<RequestRow> {
  const method = text(o.method, 'method', 200);
  const now = o.now ?? Date.now();
  return transition(deps, by, id, 'request.identity-verified', (r) => {
    mustBe(r, ['received'], 'verifying the identity');
    return { row: { ...r, state: 'identity-verified', identity: { method, by, at: now } } };
  });
}

/** Work on the answer has started (someone owns it). */
export async function startRequest(deps: PrivacyDeps, by: string, id: string): Promise<RequestRow> {
  return transition(deps, by, id, 'request.in-progress', (r) => {
    mustBe(r, ['identity-verified'], 'starting work');
    return { row: { ...r, state: 'in-progress' } };
  });
}

/**
 * Art. 12(3) sentence 2–3: extends the deadline by one or two further months (counted from
 * receipt) — only with a reason, and only when the subject was told within the first month
 * (the notice date is recorded; a notice dated after the first month, or in the future, is
 * refused). Extending again may raise one month to two, never beyond.
 */
export async function extendRequest(
  deps: PrivacyDeps, by: string, id: string, o: { months: number; reason: string; notifiedAt: number; now?: number },
): Promise<RequestRow> {
  const now = o.now ?? Date.now();
  if (o.months !== 1 && o.months !== 2) throw new TresorError('E_INVALID', `an extension is 1 or ${MAX_EXTENSION_MONTHS} further months (Art. 12(3))`, { detail: { field: 'months' } });
  const months = o.months;
  const reason = text(o.reason, 'reason');
  const notifiedAt = time(o.notifiedAt, 'notifiedAt');
  return transition(deps, by, id, 'request.extended', (r) => {
    mustBe(r, OPEN_STATES, 'an extension');
    if (notifiedAt < r.receivedAt - FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'the notice is dated before the request was received', { detail: { reason: 'notice-before-receipt' } });
    if (notifiedAt > now + FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'the notice date is in the future', { detail: { reason: 'notice-in-future' } });
    if (notifiedAt > r.firstDueAt) {
      throw new TresorError('E_INVALID', `the subject must be told of an extension within the first month (by ${new Date(r.firstDueAt).toISOString()}, Art. 12(3))`, { detail: { reason: 'notice-too-late' } });
    }
    if (r.extension && r.extension.months >= months) throw new TresorError('E_CONFLICT', `request ${id} is already extended by ${r.extension.months} month(s)`, { detail: { reason: 'already-extended' } });
    const dueAt = dueAfter(r.receivedAt, 1 + months);
    return {
      row: { ...r, dueAt, extension: { months, notifiedAt, by, at: now, reason: sealForRequest(deps, id, reason) } },
      detail: { months, dueAt: new Date(dueAt).toISOString() },
    };
  });
}

/**
 * Closes a request: `answered` (after the identity was verified) or `refused` — a refusal
 * needs its reason (sealed; Art. 12(4): REFUSAL_INFORMATION goes to the subject with it)
 * and may come before verification (Art. 11(2), 12(2): the requester could not be identified).
 */
export async function closeRequest(
  deps: PrivacyDeps, by: string, id: string, o: { outcome: string; reason?: string; now?: number },
): Promise<RequestRow> {
  const now = o.now ?? Date.now();
  if (o.outcome !== 'answered' && o.outcome !== 'refused') throw new TresorError('E_INVALID', 'outcome is answered or refused', { detail: { field: 'outcome' } });
  const outcome = o.outcome;
  const reason = outcome === 'refused' ? text(o.reason, 'reason') : o.reason?.trim() ? text(o.reason, 'reason') : null;
  const row = await transition(deps, by, id, `request.${outcome}`, (r) => {
    mustBe(r, outcome === 'answered' ? ['identity-verified', 'in-progress'] : OPEN_STATES, outcome === 'answered' ? 'answering' : 'refusing');
    return {
      row: { ...r, state: outcome, closedAt: now, closedBy: by, closeReason: reason === null ? null : sealForRequest(deps, id, reason) },
      detail: { late: now > r.dueAt },
    };
  });
  await removeCopies(deps, by, row.id);
  return row;
}

/**
 * A closed request's package has served its purpose: its decrypted folder and ZIP go
 * (overwritten, unlinked, logged `request.package.removed`). Crypto-shredding cannot do
 * this: those copies are plaintext files that need no key (src/core/copies.ts).
 */
async function removeCopies(deps: PrivacyDeps, by: string, id: string): Promise<void> {
  if (deps.dataDir) await removePackageCopies(deps.log, by, deps.dataDir, id, { reason: 'closed', zip: true });
}

/** The subject withdrew the request. */
export async function withdrawRequest(deps: PrivacyDeps, by: string, id: string, o: { now?: number } = {}): Promise<RequestRow> {
  const now = o.now ?? Date.now();
  const row = await transition(deps, by, id, 'request.withdrawn', (r) => {
    mustBe(r, OPEN_STATES, 'withdrawing');
    return { row: { ...r, state: 'withdrawn', closedAt: now, closedBy: by } };
  });
  await removeCopies(deps, by, row.id);
  return row;
}

export interface ListRequestsOptions {
  open?: boolean;
  overdue?: boolean;
  now?: number;
}

/** Requests newest first; `overdue`: open and past their deadline. Ordered by due date when only open ones are asked for. */
export function listRequests(deps: Pick<PrivacyDeps, 'store'>, o: ListRequestsOptions = {}): RequestRow[] {
  const now = o.now ?? Date.now();
  let rows = deps.store.requests.list(o.open || o.overdue ? OPEN_STATES : undefined);
  if (o.overdue) rows = rows.filter((r) => r.dueAt < now);
  if (o.open || o.overdue) rows = [...rows].sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id));
  return rows;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** What the CLI and the API print for a request: no identifiers, no free text (those are sealed). */
export function requestView(r: RequestRow, now = Date.now()) {
  return {
    id: r.id, kind: r.kind, state: r.state, receivedAt: iso(r.receivedAt)!, dueAt: iso(r.dueAt)!, channel: r.channel,
    overdue: isOpen(r) && r.dueAt < now,
    identity: r.identity ? { method: r.identity.method, by: r.identity.by, at: iso(r.identity.at) } : null,
    extension: r.extension ? { months: r.extension.months, notifiedAt: iso(r.extension.notifiedAt), by: r.extension.by, at: iso(r.extension.at) } : null,
    identifiers: r.tokens.map((t) => t.kind),
    openedBy: r.openedBy, openedAt: iso(r.openedAt), closedAt: iso(r.closedAt), closedBy: r.closedBy,
    ...(r.state === 'refused' ? { refusalInformation: REFUSAL_INFORMATION } : {}),
  };
}
export type RequestView = ReturnType<typeof requestView>;
