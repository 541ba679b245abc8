// The search form's model, shared by the console, the API and `tresor hold add` (the same
// fields and the same date meaning everywhere): typed fields → an access query.
import type { Config } from '../config/index.ts';
import type { ConsentState, Direction, SearchFields } from '../core/types.ts';
import { decodeCursor, type SearchQuery } from './index.ts';
import { normalizeNumber } from '../core/index.ts';
import { TresorError } from '../core/errors.ts';
import { parseDateBound } from '../core/dates.ts';

export type { SearchFields };

export const FIELD_NAMES: (keyof SearchFields)[] = ['from', 'to', 'number', 'agent', 'customerId', 'tag', 'purpose', 'queue', 'direction', 'consent', 'minDuration', 'maxDuration', 'cursor', 'limit'];
const DIRECTIONS: Direction[] = ['in', 'out', 'internal', 'unknown'];
const CONSENTS: ConsentState[] = ['granted', 'denied', 'unknown'];

export function fieldsOf(q: Record<string, string | undefined>): SearchFields {
  const f = {} as SearchFields;
  for (const k of FIELD_NAMES) f[k] = (q[k] ?? '').trim().slice(0, 200);
  return f;
}

function seconds(s: string, what: string): number {
  if (!/^\d{1,6}$/.test(s)) throw new TresorError('E_INVALID', `${what}: whole seconds, e.g. 30`);
  return Number(s) * 1000;
}

/** Form/query fields → access query. Throws E_INVALID naming the field that is wrong. */
export function toQuery(f: SearchFields, phone: Config['phone'], defaultLimit = 50): SearchQuery {
  const q: SearchQuery = { limit: defaultLimit };
  // the one date parser (core/dates.ts): a bare date is the whole local day
  if (f.from) q.fromMs = parseDateBound(f.from, 'start', 'from');
  if (f.to) q.toMs = parseDateBound(f.to, 'end', 'to');
  if (f.number) {
    const n = normalizeNumber(f.number, phone);
    if (!n) throw new TresorError('E_INVALID', `number: "${f.number}" is not a phone number`);
    q.number = n;
  }
  if (f.agent) q.agent = f.agent;
  if (f.customerId) q.customerId = f.customerId;
  if (f.tag) q.tag = f.tag;
  if (f.purpose) q.purpose = f.purpose;
  if (f.queue) q.queue = f.queue;
  if (f.direction) {
    if (!DIRECTIONS.includes(f.direction as Direction)) throw new TresorError('E_INVALID', `direction: one of ${DIRECTIONS.join(', ')}`);
    q.direction = f.direction as Direction;
  }
  if (f.consent) {
    if (!CONSENTS.includes(f.consent as ConsentState)) throw new TresorError('E_INVALID', `consent: one of ${CONSENTS.join(', ')}`);
    q.consentState = f.consent as ConsentState;
  }
  if (f.minDuration) q.minDurationMs = seconds(f.minDuration, 'minDuration');
  if (f.maxDuration) q.maxDurationMs = seconds(f.maxDuration, 'maxDuration');
  if (f.limit) {
    if (!/^\d{1,4}$/.test(f.limit) || Number(f.limit) < 1 || Number(f.limit) > 1000) throw new TresorError('E_INVALID', 'limit: 1 to 1000');
    q.limit = Number(f.limit);
  }
  if (f.cursor) q.before = decodeCursor(f.cursor);
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs > q.toMs) throw new TresorError('E_INVALID', 'from is after to');
  return q;
}

/** The query string of the fields that are set (for shareable URLs and the next-page link). */
export function queryString(f: SearchFields, over: Partial<SearchFields> = {}): string {
  const p = new URLSearchParams();
  for (const k of FIELD_NAMES) {
    const v = k in over ? over[k] : f[k];
    if (v) p.set(k, v);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
