import { TresorError } from '../core/index.ts';

/**
 * Access-log entries (DESIGN §3): one JSON object per line, keys in the order
 * seq, time, actor, action, target, detail, prev. The line's exact UTF-8 bytes (without
 * the newline) are the Merkle leaf and the input of the next entry's `prev`, so the
 * serialisation is canonical: JSON.stringify of the fields in that order, and a line is
 * only well-formed when parsing and re-serialising it gives the same bytes.
 */
export interface LogEntry {
  seq: number;
  /** RFC 3339 UTC with milliseconds */
  time: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  /** lowercase hex SHA-256 of the previous line; 64 zeros for seq 0 */
  prev: string;
}

export type EntryInput = Pick<LogEntry, 'actor' | 'action' | 'target' | 'detail'>;

export const GENESIS_PREV = '0'.repeat(64);
export const ENTRY_KEYS = ['seq', 'time', 'actor', 'action', 'target', 'detail', 'prev'] as const;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const ACTION_RE = /^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/;

export function checkInput(e: EntryInput, i: number): void {
  const bad = (why: string) => new TresorError('E_INVALID', `log entry #${i}: ${why}`, { detail: { index: i } });
  if (typeof e.actor !== 'string' || e.actor.length === 0) throw bad('actor must be a non-empty string');
  if (typeof e.action !== 'string' || !ACTION_RE.test(e.action)) throw bad(`action ${JSON.stringify(e.action)} is not dotted lowercase`);
  if (typeof e.target !== 'string') throw bad('target must be a string');
  if (!isPlainObject(e.detail)) throw bad('detail must be a plain object');
}

/** The canonical line; refuses values whose JSON would not read back to the same bytes. */
export function formatEntry(e: LogEntry): string {
  const line = JSON.stringify({
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    target: e.target,
    detail: e.detail,
    prev: e.prev,
  });
  const problem = lineProblem(line);
  if (problem) throw new TresorError('E_INVALID', `log entry ${e.seq} cannot be written canonically: ${problem}`);
  return line;
}

export type ParsedLine = { entry: LogEntry; problem: null } | { entry: null; problem: string };

export function parseEntryLine(line: string): ParsedLine {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return { entry: null, problem: 'not valid JSON' };
  }
  const problem = shapeProblem(o) ?? (JSON.stringify(o) === line ? null : 'not in canonical form (spacing, escaping or number format differs)');
  return problem ? { entry: null, problem } : { entry: o as LogEntry, problem: null };
}

export function lineProblem(line: string): string | null {
  return parseEntryLine(line).problem;
}

function shapeProblem(o: unknown): string | null {
  if (!isPlainObject(o)) return 'not a JSON object';
  const keys = Object.keys(o);
  if (keys.length !== ENTRY_KEYS.length || keys.some((k, i) => k !== ENTRY_KEYS[i])) {
    return `keys must be exactly ${ENTRY_KEYS.join(', ')} in this order`;
  }
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 0) return 'seq is not a non-negative integer';
  if (typeof o.time !== 'string' || !TIME_RE.test(o.time) || Number.isNaN(Date.parse(o.time))) return 'time is not RFC 3339 UTC with milliseconds';
  if (typeof o.actor !== 'string' || o.actor === '') return 'actor is not a non-empty string';
  if (typeof o.action !== 'string' || !ACTION_RE.test(o.action)) return 'action is not dotted lowercase';
  if (typeof o.target !== 'string') return 'target is not a string';
  if (!isPlainObject(o.detail)) return 'detail is not an object';
  if (typeof o.prev !== 'string' || !HEX64_RE.test(o.prev)) return 'prev is not 64 lowercase hex digits';
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
