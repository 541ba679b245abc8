// The optional `NAME.json` a PBX writes beside `NAME.<audio>` (DESIGN §3). Parsing collects
// every problem instead of stopping at the first, so a quarantine reason lists them all;
// the pipeline quarantines with E_SIDECAR_INVALID when `errors` is not empty.
// Error texts name the field and the expected type but never echo values: sidecars hold
// personal data and reasons end up in places (console, logs) that must not.
import type { CallMetadata, Consent, ConsentState, Direction } from '../core/types.ts';

/** PBX sidecars are a few hundred bytes; anything bigger is not what we expect. */
export const MAX_SIDECAR_BYTES = 64 * 1024;

export interface SidecarResult {
  fields: Partial<CallMetadata>;
  errors: string[];
}

const DIRECTIONS: readonly Direction[] = ['in', 'out', 'internal', 'unknown'];
const CONSENT_STATES: readonly ConsentState[] = ['granted', 'denied', 'unknown'];
const STRING_FIELDS = ['callId', 'from', 'to', 'agent', 'queue', 'purpose'] as const;
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
    if (ms === undefined) errors.push('start: must be an RFC 3339 time with a zone offset');
    else fields.start = ms;
  }
  if (doc.direction != null) {
    if (DIRECTIONS.includes(doc.direction as Direction)) fields.direction = doc.direction as Direction;
    else errors.push(`direction: must be one of ${DIRECTIONS.join(', ')}`);
  }
  if (doc.consent != null) {
    const consent = parseConsent(doc.consent, errors, fields);
    if (consent) fields.consent = consent;
  }
  if (doc.tags != null) {
    if (Array.isArray(doc.tags) && doc.tags.every((t) => typeof t === 'string')) fields.tags = [...doc.tags];
    else errors.push('tags: must be an array of strings');
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

function stringField(obj: Record<string, unknown>, key: string, label: string, errors: string[]): string | undefined {
  const v = obj[key];
  if (v == null) return undefined;
  if (typeof v === 'string') return v;
  errors.push(`${label}: must be a string, got ${kindOf(v)}`);
  return undefined;
}

function parseConsent(v: unknown, errors: string[], fields: Partial<CallMetadata>): Consent | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    errors.push(`consent: must be an object, got ${kindOf(v)}`);
    return undefined;
  }
  const obj = v as Record<string, unknown>;
  const state = obj.state;
  if (!CONSENT_STATES.includes(state as ConsentState)) {
    errors.push(`consent.state: must be one of ${CONSENT_STATES.join(', ')}`);
    return undefined;
  }
  const consent: Consent = { state: state as ConsentState };
  const method = stringField(obj, 'method', 'consent.method', errors);
  if (method !== undefined) consent.method = method;
  const evidence = stringField(obj, 'evidence', 'consent.evidence', errors);
  if (evidence !== undefined) consent.evidence = evidence;
  const at = stringField(obj, 'at', 'consent.at', errors);
  if (at !== undefined) {
    const ms = parseRfc3339(at);
    if (ms === undefined) errors.push('consent.at: must be an RFC 3339 time with a zone offset');
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

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
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
