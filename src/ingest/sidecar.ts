// The optional `NAME.json` a PBX writes beside `NAME.<audio>` (DESIGN §3). Parsing collects
// every problem instead of stopping at the first, so a quarantine reason lists them all;
// the pipeline quarantines with E_SIDECAR_INVALID when `errors` is not empty.
// Error texts name the field, the value and what would have been accepted (issue 15 item
// 3), except where the value could be personal data: sidecars hold names and numbers, and
// reasons end up in places (console, reason.json, logs) that must not. A free-text field's
// value (from, to, agent, …) is described, never shown; a word or a time is shown only when
// it looks like one (`shownValue`).
import type { CallMetadata, Consent, ConsentState, Direction } from '../core/types.ts';

/** PBX sidecars are a few hundred bytes; anything bigger is not what we expect. */
export const MAX_SIDECAR_BYTES = 64 * 1024;
/**
 * Deepest nesting of arrays and objects taken. Real sidecars are 2–3 levels deep; a
 * 32,000-level document overflowed the stack later on (JSON.stringify of `extra`) and was
 * mistaken for an I/O fault and retried (issue 16). Checked on the bytes, before parsing.
 */
export const MAX_SIDECAR_DEPTH = 16;
/**
 * Longest value of a named string field, in characters. The queue is an index key (LMDB
 * keys are at most 1978 bytes; a 3,000-character queue once broke a commit half-way,
 * issue 9), and no PBX or CRM field of these kinds comes near this.
 */
export const MAX_FIELD_CHARS = 256;
export const MAX_TAGS = 64;

export interface SidecarResult {
  fields: Partial<CallMetadata>;
  errors: string[];
}

/**
 * What CRMs and PBXs write for the call's direction and the consent state (README,
 * "Sidecar metadata"). Compared in lower case with spaces, `-` and `_` removed. Anything
 * else is refused: "both", "transfer" or "none" could mean either, and a guess could store
 * a call with the wrong consent.
 */
const DIRECTION_WORDS: Record<Direction, readonly string[]> = {
  in: ['in', 'inbound', 'incoming', 'inb', 'eingehend', 'ankommend'],
  out: ['out', 'outbound', 'outgoing', 'outb', 'ausgehend', 'abgehend'],
  internal: ['internal', 'intern', 'local', 'extension'],
  unknown: ['unknown', 'unbekannt'],
};
const CONSENT_WORDS: Record<ConsentState, readonly string[]> = {
  granted: ['granted', 'yes', 'y', 'true', 'ja', 'j', 'accepted', 'agreed', 'given', 'optin', 'consented', 'allowed'],
  denied: ['denied', 'no', 'n', 'false', 'nein', 'refused', 'declined', 'rejected', 'optout', 'withdrawn', 'revoked'],
  unknown: ['unknown', 'notasked', 'pending', 'unbekannt'],
};
const DIRECTION_OF = invert(DIRECTION_WORDS);
/** The accepted words of the enumerated fields, for README and reasons to list (one source). */
export const SIDECAR_WORDS = { direction: DIRECTION_WORDS, consent: CONSENT_WORDS } as const;
const CONSENT_OF = invert(CONSENT_WORDS);

function invert<T extends string>(words: Record<T, readonly string[]>): Map<string, T> {
  return new Map(Object.entries<readonly string[]>(words).flatMap(([k, ws]) => ws.map((w) => [w, k as T] as const)));
}

function wordOf(v: unknown): string | undefined {
  if (typeof v === 'boolean') return String(v);
  return typeof v === 'string' ? v.trim().toLowerCase().replace(/[\s_-]+/g, '') : undefined;
}
const STRING_FIELDS = ['callId', 'from', 'to', 'agent', 'queue', 'purpose'] as const;
// `customerId` (issue 11) is not a known field: it stays sealed in `extra` as it always
// was; the pipeline indexes its keyed token (tokensOf) for the data-subject lookup.
const KNOWN = new Set<string>([...STRING_FIELDS, 'start', 'direction', 'consent', 'tags']);
const CONSENT_KNOWN = new Set(['state', 'method', 'at', 'evidence']);

/** Never throws. A `null` value counts as "not given" (many JSON writers emit it for empty). */
export function parseSidecar(bytes: Buffer): SidecarResult {
  const errors: string[] = [];
  const fields: Partial<CallMetadata> = {};
  const doc = decode(bytes, errors);
  if (doc === undefined) return { fields, errors };

  for (const key of STRING_FIELDS) {
    const v = stringField(doc, key, key, errors);
    if (v !== undefined) fields[key] = v;
  }
  if (doc.start != null) {
    const ms = typeof doc.start === 'string' ? parseRfc3339(doc.start) : undefined;
    if (ms === undefined) errors.push(`start: ${timeProblem(doc.start)}; accepted: ${TIME_HELP}`);
    else fields.start = ms;
  }
  if (doc.direction != null && doc.direction !== '') {
    const d = DIRECTION_OF.get(wordOf(doc.direction) ?? '');
    if (d) fields.direction = d;
    else errors.push(`direction: ${shownValue(doc.direction, 'word')} is not a direction; accepted: ${wordsHelp(DIRECTION_WORDS)}`);
  }
  if (doc.consent != null) {
    const consent = parseConsent(doc.consent, errors, fields);
    if (consent) fields.consent = consent;
  }
  if (doc.tags != null) {
    if (!Array.isArray(doc.tags) || !doc.tags.every((t) => typeof t === 'string')) {
      errors.push(`tags: got ${shownValue(doc.tags, 'private')}; accepted: an array of up to ${MAX_TAGS} tags, each ${TEXT_HELP}, e.g. ["complaint", "vip"]`);
    } else if (doc.tags.length > MAX_TAGS) errors.push(`tags: got ${doc.tags.length} tags; accepted: at most ${MAX_TAGS}`);
    else {
      const bad = doc.tags.map((t) => valueProblem(t)).find((p) => p);
      if (bad) errors.push(`tags: a tag ${bad} (not shown: it may be personal data); accepted: each tag ${TEXT_HELP}`);
      else fields.tags = [...doc.tags];
    }
  }
  const extra = unknownFields(doc, KNOWN);
  if (Object.keys(extra).length > 0) fields.extra = { ...fields.extra, ...extra };
  return { fields, errors };
}

function decode(bytes: Buffer, errors: string[]): Record<string, unknown> | undefined {
  if (bytes.length > MAX_SIDECAR_BYTES) {
    errors.push(`sidecar is ${bytes.length} bytes; the limit is ${MAX_SIDECAR_BYTES}`);
    return undefined;
  }
  if (nestingDepth(bytes) > MAX_SIDECAR_DEPTH) {
    errors.push(`sidecar is nested deeper than ${MAX_SIDECAR_DEPTH} levels`);
    return undefined;
  }
  let text: string;
  try {
    // fatal: a sidecar in Latin-1 would otherwise turn names into U+FFFD silently
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    errors.push('sidecar is not valid UTF-8');
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // Node's message quotes the input; keep only the position.
    const at = e instanceof Error ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    errors.push(`sidecar is not valid JSON${at === undefined ? '' : ` (at byte ${at})`}`);
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    errors.push('sidecar must be a JSON object');
    return undefined;
  }
  return doc as Record<string, unknown>;
}

/**
 * Deepest [ / { nesting of a JSON text, counted without recursion; brackets inside strings
 * do not count. Not a validator: JSON.parse still decides whether the text is JSON.
 */
export function nestingDepth(bytes: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

// C0 controls and DEL: binary data or terminal escape sequences, never a name or queue
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a short text field's value cannot be taken, or null. */
function valueProblem(v: string): string | null {
  if ([...v].length > MAX_FIELD_CHARS) return `is longer than ${MAX_FIELD_CHARS} characters`;
  if (CONTROL.test(v)) return 'contains control characters (binary data?)';
  return null;
}

const TEXT_HELP = `text of at most ${MAX_FIELD_CHARS} characters without control characters`;
const TIME_HELP = 'an RFC 3339 time with a zone offset, e.g. 2026-11-30T15:30:00+01:00 or 2026-11-30T14:30:00Z';

/** `short`: a name-like field (limited length, no control characters); else any text. */
function stringField(obj: Record<string, unknown>, key: string, label: string, errors: string[], short = true): string | undefined {
  const v = obj[key];
  if (v == null) return undefined;
  if (typeof v !== 'string') {
    errors.push(`${label}: got ${shownValue(v, 'private')}; accepted: ${short ? TEXT_HELP : 'any text'} (a JSON string, in quotes)`);
    return undefined;
  }
  const problem = short ? valueProblem(v) : null;
  if (problem) {
    errors.push(`${label}: the value ${problem} (not shown: it may be personal data); accepted: ${TEXT_HELP}`);
    return undefined;
  }
  return v;
}

/** "in (inbound, incoming, …), out (…)": every accepted word, grouped by what it means. */
function wordsHelp(words: Record<string, readonly string[]>): string {
  const groups = Object.entries(words).map(([k, ws]) => {
    const others = ws.filter((w) => w !== k);
    return others.length ? `${k} (${others.join(', ')})` : k;
  });
  return `${groups.join(', ')}; case, spaces, - and _ are ignored`;
}

const CONSENT_HELP = wordsHelp(CONSENT_WORDS);

/** What is wrong with a time that did not parse: most often only the zone offset is missing. */
function timeProblem(v: unknown): string {
  const shown = shownValue(v, 'time');
  if (typeof v === 'string' && parseRfc3339(`${v.trim()}Z`) !== undefined) return `${shown} has no zone offset (Z, +01:00, …)`;
  return `${shown} is not a time`;
}

/** Longest value quoted in a reason; a longer one is not a mistyped word or time. */
const SHOWN_CHARS = 40;

/**
 * The value as a reason may quote it: JSON-quoted (so control characters show as escapes)
 * when it can only be a word (`word`: letters, at most two digits — a CRM's "1" for in) or a
 * time (`time`: has a date or a time of day in it); otherwise described ("a text of 14
 * characters", "a number") with the reason it is not shown. `private`: always described.
 */
export function shownValue(v: unknown, kind: 'word' | 'time' | 'private'): string {
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined;
  if (text === undefined) return `a ${typeof v}`;
  const digits = text.replace(/\D/g, '').length;
  const plausible = kind === 'word' ? digits <= 2 && !CONTROL.test(text)
    : kind === 'time' ? /\d{1,4}[-./]\d{1,2}[-./]\d{1,4}|\d{1,2}:\d{2}/.test(text) && !CONTROL.test(text)
    : false;
  if (plausible && [...text].length <= SHOWN_CHARS) return typeof v === 'number' ? text : JSON.stringify(text);
  const what = typeof v === 'number' ? 'a number' : `a text of ${[...text].length} characters`;
  return `${what} (not shown: it may be personal data)`;
}

function parseConsent(v: unknown, errors: string[], fields: Partial<CallMetadata>): Consent | undefined {
  // the short form many CRMs write: "consent": "yes" / true
  if (typeof v === 'string' || typeof v === 'boolean') {
    const state = CONSENT_OF.get(wordOf(v) ?? '');
    if (state) return { state };
    errors.push(`consent: ${shownValue(v, 'word')} is not a consent state; accepted: an object {state, method, at, evidence} or the state alone: ${CONSENT_HELP}`);
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    errors.push(`consent: got ${shownValue(v, 'word')}; accepted: an object {state, method, at, evidence} or the state alone: ${CONSENT_HELP}`);
    return undefined;
  }
  const obj = v as Record<string, unknown>;
  const state = CONSENT_OF.get(wordOf(obj.state) ?? '');
  if (!state) {
    errors.push(`consent.state: ${obj.state === undefined ? 'missing' : `${shownValue(obj.state, 'word')} is not a consent state`}; accepted: ${CONSENT_HELP}`);
    return undefined;
  }
  const consent: Consent = { state };
  const method = stringField(obj, 'method', 'consent.method', errors);
  if (method !== undefined) consent.method = method;
  // free text (an IVR transcript line, a CRM note): sealed, never a key; newlines are fine
  const evidence = stringField(obj, 'evidence', 'consent.evidence', errors, false);
  if (evidence !== undefined) consent.evidence = evidence;
  const at = stringField(obj, 'at', 'consent.at', errors);
  if (at !== undefined) {
    const ms = parseRfc3339(at);
    if (ms === undefined) errors.push(`consent.at: ${timeProblem(at)}; accepted: ${TIME_HELP}`);
    else consent.at = new Date(ms).toISOString();
  }
  // Unknown consent keys are kept like unknown top-level ones, under extra.consent.
  const more = unknownFields(obj, CONSENT_KNOWN);
  if (Object.keys(more).length > 0) fields.extra = { ...fields.extra, consent: more };
  return consent;
}

/** Copies unknown keys with define semantics, so a `__proto__` key stays plain data. */
function unknownFields(obj: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !known.has(k)));
}

// RFC 3339 §5.6 date-time; "T" may be a space (§5.6 note); the offset is mandatory because
// a zoneless time would be read in whichever zone this box happens to run.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 → epoch ms, or undefined. A leap second (:60) is read as :59.999. */
export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const zone = m[8] ?? 'Z';
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || sec > 60) return undefined;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const leap = sec === 60;
  const utc = Date.UTC(y, mo - 1, d, h, mi, leap ? 59 : sec, leap ? 999 : frac);
  // Date.UTC maps years 0–99 to 19xx; set the year explicitly.
  const t = new Date(utc);
  t.setUTCFullYear(y);
  return t.getTime() - offsetMin * 60_000;
}
