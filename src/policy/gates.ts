import type { ErrorCode } from '../core/errors.ts';
import type { PolicyFacts } from './retention.ts';

/**
 * Gates decided at ingest (DESIGN §2): "what to decide about a new call" as a list the
 * wiring hands the ingest pipeline (src/site/wire.ts), so the pipeline knows no rule by
 * name. Retention expiry is the first gate; the objection register (do-not-record) and
 * the consent policy are meant to be the next ones.
 *
 * A gate's rule is pure: the call's facts, what the gate read of the site, and `now` in,
 * a decision out, so each rule is tested alone without a store. What the gate reads and
 * what it writes for itself (the retention gate's trusted clock mark, say) are its
 * owner's, bound in when the wiring builds the gate.
 *
 * The pipeline asks every gate inside the commit transaction and before its first write
 * (the rollback lesson of issue 9: lmdb-js does not undo an async transaction whose
 * callback throws after writing, so nothing may be decided half-way through the writes):
 * a refusal — or a gate that throws — aborts the commit with nothing written.
 */

/** What a gate may decide on: the non-personal facts of the call being committed. */
export interface CallFacts extends PolicyFacts {
  durationMs: number;
  /** the call's keyed tokens (HMAC of numbers, customer id; never the values): the objection register matches on them */
  tokens?: readonly { kind: string; token: string }[];
}

/** A recording's retention: its policy and expiry (null: no rule, kept), or waiting for the clock. */
export interface Retention {
  policy: string | null;
  expiresAt: number | null;
  /** ingested while the clock was suspect: no expiry until an admin confirms the time */
  awaitingClock?: true;
}

export type GateDecision =
  /** no opinion */
  | { kind: 'pass' }
  /** how long the call is kept */
  | { kind: 'retain'; retention: Retention }
  /** a mark the recording carries (a kind, never personal data), e.g. for a review list */
  | { kind: 'mark'; mark: string }
  /**
   * the call is not archived: the commit is aborted with this code and reason, and the
   * file takes the pipeline's failure path (not retryable: kept in quarantine, byte for
   * byte, as DESIGN §5 asks; a gate that must not keep the bytes needs its own disposition)
   */
  | { kind: 'refuse'; code: ErrorCode; reason: string }
  /**
   * the call must not be archived NOR kept (an objection, a denied consent): the commit is
   * aborted, the pipeline logs `recording.refused` {reason, gate} durably and then destroys
   * the source and its sidecar; nothing goes to quarantine. `reason` is a kind, no personal data.
   */
  | { kind: 'discard'; reason: string };

/** The pure part of a gate. */
export type GateRule<V> = (call: CallFacts, view: V, now: number) => GateDecision;

/** What the pipeline gets back from one gate. */
export interface GateOutcome {
  decision: GateDecision;
  /** the gate's own writes, run in the same transaction once every gate has decided and none refused */
  record?: () => void;
}

/** A gate as the pipeline sees it. */
export interface IngestGate {
  readonly name: string;
  /** inside the commit transaction, before its first write: reads (never writes), then decides */
  decide(call: CallFacts, now: number): GateOutcome;
}

/**
 * Builds a gate from its owner's parts: `read` (synchronous reads of the site, inside the
 * commit transaction), the pure `rule`, and `record` (the owner's synchronous writes).
 */
export function gate<V>(name: string, parts: {
  read(now: number): V;
  rule: GateRule<V>;
  record?(decision: GateDecision, view: V, now: number): void;
}): IngestGate {
  return {
    name,
    decide(call, now) {
      const view = parts.read(now);
      const decision = parts.rule(call, view, now);
      const record = parts.record;
      return record ? { decision, record: () => record(decision, view, now) } : { decision };
    },
  };
}

/** Every gate's decision about one call, put together. */
export interface GateVerdict {
  /** the first refusal (in the order the gates were given), or null */
  refused: { gate: string; code: ErrorCode; reason: string } | null;
  /** the first discard (it wins over a refusal: the bytes must not be kept anywhere); absent when none */
  discarded?: { gate: string; reason: string };
  retention: Retention;
  /** sorted, each once */
  marks: string[];
}

/** Which of two retentions keeps the call longer: waiting for the clock, then no expiry, then the later date. */
function longer(a: Retention, b: Retention): Retention {
  if (a.awaitingClock || b.awaitingClock) return a.awaitingClock ? a : b;
  if (a.expiresAt === null || b.expiresAt === null) return a.expiresAt === null ? a : b;
  return b.expiresAt > a.expiresAt ? b : a;
}

/**
 * Puts the decisions together (pure). Retention: with no gate deciding it the call has no
 * expiry (nothing is deleted without a rule that says so); when several do, the one that
 * keeps it longest wins, as among policies (src/policy/retention.ts).
 */
export function combine(decisions: readonly { gate: string; decision: GateDecision }[]): GateVerdict {
  let refused: GateVerdict['refused'] = null;
  let discarded: GateVerdict['discarded'];
  let retention: Retention | null = null;
  const marks = new Set<string>();
  for (const { gate: name, decision: d } of decisions) {
    if (d.kind === 'refuse') refused ??= { gate: name, code: d.code, reason: d.reason };
    else if (d.kind === 'discard') discarded ??= { gate: name, reason: d.reason };
    else if (d.kind === 'retain') retention = retention ? longer(retention, d.retention) : d.retention;
    else if (d.kind === 'mark') marks.add(d.mark);
  }
  return { refused, ...(discarded ? { discarded } : {}), retention: retention ?? { policy: null, expiresAt: null }, marks: [...marks].sort() };
}
