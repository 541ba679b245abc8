import { gate, type GateDecision, type IngestGate } from '../policy/index.ts';
import type { IndexStore } from '../store/index.ts';

/** `privacy.objectionAtIngest`: what happens to a new call of a subject on the do-not-record register. */
export type ObjectionAtIngest = 'discard' | 'restrict';

/** The mark a call archived restricted because of an objection carries (src/access: a barrier). */
export const OBJECTION_RESTRICT_MARK = 'restricted:objection';

/**
 * The do-not-record register as a gate decided at ingest (issue 11 #5). A call carrying
 * a phone or customer token with an objection of scope `record` is discarded (not
 * archived; the pipeline destroys the source and logs `recording.refused`) or, with
 * `restrict`, archived restricted (Art. 18: stored, not played).
 */
export function objectionGate(store: IndexStore, mode: ObjectionAtIngest): IngestGate {
  return gate('privacy.objection', {
    read: () => ({ objects: (tokens: readonly { kind: string; token: string }[]) => store.objections.objectsTo(tokens, 'record') }),
    rule: (call, view): GateDecision => {
      const tokens = (call.tokens ?? []).filter((t) => t.kind === 'phone' || t.kind === 'customer');
      if (!tokens.length || !view.objects(tokens)) return { kind: 'pass' };
      return mode === 'restrict' ? { kind: 'mark', mark: OBJECTION_RESTRICT_MARK } : { kind: 'discard', reason: 'objection' };
    },
  });
}
