// Reads what PBXs encode in a recording's file name. Each parser returns the fields it
// found or null when the name is not in its format; parseRecordingName tries them in order.
//
// Times in names are the PBX box's LOCAL wall-clock time with no zone (FreePBX and 3CX
// both write it that way). We read them in this process's time zone (TZ), so Tresor must
// run in the PBX's zone. In the autumn DST overlap the earlier instant is taken; a time in
// the spring gap is moved forward by the gap, as JavaScript's Date does.
//
// Names are data, not paths: `%2F`, `..`, brackets and unicode are kept literally and never
// decoded; only the last `/`-separated segment of relPath is read.
import type { CallMetadata, Direction } from '../core/types.ts';
import { normalizeNumber, MAX_EXTENSION_DIGITS, type PhoneConfig } from '../core/index.ts';

export type NameFields = Partial<CallMetadata>;

const FREEPBX_DIRECTION: Record<string, Direction> = {
  in: 'in',
  q: 'in',
  rg: 'in',
  out: 'out',
  external: 'out',
  internal: 'internal',
  ondemand: 'unknown',
  parked: 'unknown',
  force: 'unknown',
};

// <type>-<to>-<from>-YYYYMMDD-HHMMSS-<uniqueid>.<ext>; to/from may be empty (no caller id).
const FREEPBX =
  /^(in|out|external|internal|q|rg|ondemand|parked|force)-([^-/]*)-([^-/]*)-(\d{8})-(\d{6})-(\d+(?:\.\d+)?)\.([A-Za-z0-9]+)$/;

/** FreePBX / Asterisk (usually under YYYY/MM/DD/). Note the order: to, then from. */
export function parseFreePbxName(baseName: string, phone: PhoneConfig): NameFields | null {
  const m = FREEPBX.exec(baseName);
  if (!m) return null;
  const [, type = '', to = '', from = '', ymd = '', hms = '', uniqueId = ''] = m;
  const start = localTime(ymd + hms);
  if (start === undefined) return null;
  const fields: NameFields = { start, direction: FREEPBX_DIRECTION[type] ?? 'unknown', callId: uniqueId };
  setNumber(fields, 'to', to, phone);
  setNumber(fields, 'from', from, phone);
  // For queue calls the "to" slot holds the queue's number.
  if (type === 'q' && to.trim() !== '') fields.queue = to.trim();
  // FreePBX names carry no agent name, only the extension that took or made the call:
  // the extension directory (src/ingest/directory.ts) names its agent at ingest.
  else setAgentExtension(fields, fields.direction === 'in' ? to : from);
  return fields;
}

// [<caller's name>]_<from>-<to>_<YYYYMMDDhhmmss>(<id>).<ext>; the name may itself hold brackets.
const THREECX = /^\[(.*)\]_([^_]*?)-([^_]*)_(\d{14})\(([^()]*)\)\.([A-Za-z0-9]+)$/;

/**
 * 3CX. Which field is whom (issue 15, item 4): the bracket holds the display name of the
 * CALLING party, then come the caller's number, the called number, the local start time
 * and 3CX's call id. We found no 3CX manual page that spells the name out; the reading
 * rests on files 3CX wrote, as published with a CallCabinet 3CX import script
 * (github.com/sashintulsiram/callcabinet, 3cxmoverecdata.sh):
 *   outbound  `[]_100-0836826436_20190211124709(2).wav`             (extension 100 has no name)
 *   inbound   `[27836826436]_27836826436-100_20190211124743(3).wav` (the caller's name is its number)
 *   outbound  `[Zinhle Phungula]_201-0114627554_20190219120918(380).wav`
 * So the bracket is the agent only when the caller is an extension (outbound, internal).
 * On an inbound call it is the CUSTOMER's name (or number) — before issue 15 we stored it
 * as the agent, which put a customer's name where supervisors search for colleagues.
 * It is kept sealed with the call (`extra.callerName`), never tokenised as an agent; the
 * agent of an inbound call is the called extension, named by the extension directory.
 */
export function parse3cxName(baseName: string, phone: PhoneConfig): NameFields | null {
  const m = THREECX.exec(baseName);
  if (!m) return null;
  const [, name = '', from = '', to = '', stamp = '', id = ''] = m;
  const start = localTime(stamp);
  if (start === undefined) return null;
  const fields: NameFields = { start, direction: directionFromSides(from, to) };
  const caller = name.normalize('NFC').trim();
  const callerIsAgent = isExtension(from);
  if (caller !== '' && caller !== from.trim()) {
    if (callerIsAgent) fields.agent = caller;
    else fields.extra = { callerName: caller };
  }
  setAgentExtension(fields, callerIsAgent ? from : to);
  if (id.trim() !== '') fields.callId = id.trim();
  setNumber(fields, 'from', from, phone);
  setNumber(fields, 'to', to, phone);
  return fields;
}

/** The extension of the agent's side, when that side is one (for the extension directory). */
function setAgentExtension(fields: NameFields, side: string): void {
  if (isExtension(side)) fields.agentExtension = side.trim();
}

/** 3CX names carry no type: an extension calling out is "out", the reverse "in". */
function directionFromSides(from: string, to: string): Direction {
  const fromExt = isExtension(from);
  const toExt = isExtension(to);
  if (fromExt && toExt) return 'internal';
  if (fromExt && isExternal(to)) return 'out';
  if (toExt && isExternal(from)) return 'in';
  return 'unknown';
}

const EXTENSION = new RegExp(`^\\d{1,${MAX_EXTENSION_DIGITS}}$`);
const isExtension = (s: string): boolean => EXTENSION.test(s.trim());
const isExternal = (s: string): boolean => /^\+?\d{7,}$/.test(s.replace(/[\s-]/g, ''));

/** Fallback for every other name: the time is the file's mtime; digits in it are not guessed at. */
export function parseGenericName(mtimeMs: number): NameFields {
  return { start: mtimeMs, direction: 'unknown', startFromMtime: true };
}

const PARSERS: Array<[format: string, parse: (base: string, phone: PhoneConfig) => NameFields | null]> = [
  ['freepbx', parseFreePbxName],
  ['3cx', parse3cxName],
];

/** The metadata a name alone gives. Never throws; unknown names fall back to `generic`. */
export function parseRecordingName(relPath: string, mtimeMs: number, phone: PhoneConfig): CallMetadata {
  const base = baseNameOf(relPath);
  for (const [format, parse] of PARSERS) {
    let fields: NameFields | null = null;
    try {
      fields = parse(base, phone);
    } catch {
      fields = null; // a parser bug must not stop ingest: the generic reading still holds
    }
    if (fields) return complete(fields, format);
  }
  return complete(parseGenericName(mtimeMs), 'generic');
}

export function baseNameOf(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? relPath : relPath.slice(i + 1);
}

function complete(fields: NameFields, nameFormat: string): CallMetadata {
  return {
    ...fields,
    start: fields.start ?? Number.NaN,
    direction: fields.direction ?? 'unknown',
    consent: { state: 'unknown' },
    tags: [],
    extra: fields.extra ?? {},
    nameFormat,
    startFromMtime: fields.startFromMtime ?? false,
  };
}

function setNumber(fields: NameFields, key: 'from' | 'to', raw: string, phone: PhoneConfig): void {
  const n = normalizeNumber(raw, phone);
  if (n !== undefined) fields[key] = n;
}

/** `YYYYMMDDhhmmss` in the process's local zone → epoch ms; undefined when not a real time. */
export function localTime(stamp: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  // Before 1970 is no recording date (and Date maps years 0–99 to 19xx).
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const t = new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isFinite(t) ? t : undefined;
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}
