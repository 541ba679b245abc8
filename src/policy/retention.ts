import { TresorError } from '../core/errors.ts';
import type { ConsentState, Direction, Policy, PolicyMatch } from '../core/types.ts';

export type { Policy, PolicyMatch } from '../core/types.ts';
import { addDuration, compareDurations, parseDuration } from './duration.ts';

/**
 * Retention policies (GDPR Art. 5(1)(e) storage limitation; MiFID II / § 83 WpHG minimum
 * periods). A recording falls under every policy whose `match` it meets (empty match =
 * all recordings); the one that keeps it LONGEST decides, so a 5-year legal minimum is
 * never undercut by a shorter general rule. No matching policy = no expiry (nothing is
 * deleted without a rule that says so).
 *
 * A locked policy (compliance mode, like S3 Object Lock) can be lengthened, never
 * shortened, narrowed or removed. This module refuses, whoever asks.
 */

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const MATCH_KEYS = ['queue', 'direction', 'purpose', 'tags', 'consent'] as const;

export function validatePolicy(p: unknown): Policy {
  const o = p as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new TresorError('E_INVALID', 'a policy is an object {name, match, keep, lock}');
  if (typeof o.name !== 'string' || !NAME_RE.test(o.name)) throw new TresorError('E_INVALID', `policy name ${JSON.stringify(o.name)}: 1-64 letters, digits, space . _ -`);
  const where = `policy "${o.name}"`;
  for (const k of Object.keys(o)) if (!['name', 'match', 'keep', 'lock'].includes(k)) throw new TresorError('E_INVALID', `${where}: unknown field "${k}"`);
  if (typeof o.keep !== 'string') throw new TresorError('E_INVALID', `${where}: keep must be an ISO 8601 duration such as "P90D" or "P5Y"`);
  const d = parseDuration(o.keep);
  if (compareDurations(d, parseDuration('P1D')) < 0) throw new TresorError('E_INVALID', `${where}: keep must be at least one day`);
  const match = (o.match ?? {}) as Record<string, unknown>;
  if (typeof match !== 'object' || Array.isArray(match)) throw new TresorError('E_INVALID', `${where}: match must be an object`);
  const out: PolicyMatch = {};
  for (const [k, v] of Object.entries(match)) {
    if (!(MATCH_KEYS as readonly string[]).includes(k)) throw new TresorError('E_INVALID', `${where}: match.${k} is not a field (${MATCH_KEYS.join(', ')})`);
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0)) throw new TresorError('E_INVALID', `${where}: match.${k} must be a string or a list of strings`);
    if (list.length) (out as Record<string, string[]>)[k] = [...new Set(list as string[])].sort();
  }
  if (out.direction?.some((d) => !['in', 'out', 'internal', 'unknown'].includes(d))) throw new TresorError('E_INVALID', `${where}: match.direction: in, out, internal, unknown`);
  if (out.consent?.some((c) => !['granted', 'denied', 'unknown'].includes(c))) throw new TresorError('E_INVALID', `${where}: match.consent: granted, denied, unknown`);
  if (o.lock !== undefined && typeof o.lock !== 'boolean') throw new TresorError('E_INVALID', `${where}: lock must be true or false`);
  return { name: o.name, match: out, keep: o.keep, lock: o.lock === true };
}

/** What a policy looks at: the non-personal facts of one call (a RecordingRow has them all). */
export interface PolicyFacts {
  start: number;
  queue: string | null;
  direction: Direction;
  purpose: string | null;
  tags: readonly string[];
  consentState: ConsentState;
}

export function matches(m: PolicyMatch, r: PolicyFacts): boolean {
  if (m.queue && !(r.queue && m.queue.includes(r.queue))) return false;
  if (m.direction && !m.direction.includes(r.direction)) return false;
  if (m.purpose && !(r.purpose && m.purpose.includes(r.purpose))) return false;
  if (m.tags && !r.tags.some((t) => m.tags!.includes(t))) return false;
  if (m.consent && !m.consent.includes(r.consentState)) return false;
  return true;
}

/** The retention of one recording under a set of policies: the longest matching keep. */
export function evaluate(policies: readonly Policy[], r: PolicyFacts): { policy: string | null; expiresAt: number | null } {
  let best: { policy: string; expiresAt: number } | null = null;
  for (const p of [...policies].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!matches(p.match, r)) continue;
    const expiresAt = addDuration(r.start, parseDuration(p.keep));
    if (!best || expiresAt > best.expiresAt) best = { policy: p.name, expiresAt };
  }
  return best ?? { policy: null, expiresAt: null };
}

/** Why a change to a locked policy is refused, or null when it is allowed. */
export function lockProblem(old: Policy | undefined, next: Policy | null): string | null {
  if (!old?.lock) return null;
  if (!next) return `policy "${old.name}" is locked: it cannot be removed`;
  if (!next.lock) return `policy "${old.name}" is locked: it cannot be unlocked`;
  if (compareDurations(parseDuration(next.keep), parseDuration(old.keep)) < 0) {
    return `policy "${old.name}" is locked: keep can be lengthened but not shortened (${old.keep} → ${next.keep})`;
  }
  if (JSON.stringify(next.match) !== JSON.stringify(old.match)) return `policy "${old.name}" is locked: what it matches cannot change`;
  return null;
}

/** Two policies that keep the same calls for the same time (the name aside). */
export const samePolicy = (a: Policy | null | undefined, b: Policy | null | undefined) =>
  JSON.stringify(a ? { match: a.match, keep: a.keep, lock: a.lock } : null) === JSON.stringify(b ? { match: b.match, keep: b.keep, lock: b.lock } : null);
