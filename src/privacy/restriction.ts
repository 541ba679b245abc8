import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * Restriction of processing (GDPR Art. 18): the call stays stored but closed — the access
 * door (src/access: barriersOf) refuses play, download, export and extract for any mark
 * `restricted:<kind>`, except a dpo giving a legal-claims reason (Art. 18(2)). The kinds
 * are the grounds of Art. 18(1); `objection` is also set at ingest (objection-gate.ts).
 * Lifting records when the subject was told (Art. 18(3)).
 */
export const RESTRICTION_KINDS = ['accuracy-contested', 'unlawful', 'subject-legal-claims', 'objection'] as const;
export type RestrictionKind = (typeof RESTRICTION_KINDS)[number];

const PREFIX = 'restricted:';

function mustGet(deps: Pick<PrivacyDeps, 'store'>, id: string) {
  const row = isId(id) ? deps.store.recordings.get(id) : undefined;
  if (!row) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
  return row;
}

export async function restrictRecording(deps: PrivacyDeps, by: string, id: string, o: { reason: string; requestId?: string }): Promise<string[]> {
  if (!(RESTRICTION_KINDS as readonly string[]).includes(o.reason)) {
    throw new TresorError('E_INVALID', `reason must be one of ${RESTRICTION_KINDS.join(', ')} (Art. 18(1))`, { detail: { field: 'reason' } });
  }
  if (o.requestId !== undefined && !deps.store.requests.get(o.requestId)) throw new TresorError('E_NOT_FOUND', `no request ${o.requestId}`);
  mustGet(deps, id);
  return deps.store.tx(() => {
    const row = mustGet(deps, id);
    const mark = PREFIX + o.reason;
    if (row.marks?.includes(mark)) throw new TresorError('E_CONFLICT', `recording ${id} is restricted (${o.reason}) already`);
    const marks = [...(row.marks ?? []), mark].sort();
    deps.store.recordings.setMarks(id, marks);
    deps.log.appendSync([{ actor: by, action: 'recording.restricted', target: `recording:${id}`, detail: { reason: o.reason, requestId: o.requestId ?? null } }]);
    return marks;
  });
}

/** Lifts every restriction of a call; `notifiedAt` (epoch ms) is when the subject was told (Art. 18(3)). */
export async function liftRestriction(deps: PrivacyDeps, by: string, id: string, o: { notifiedAt: number; requestId?: string; now?: number }): Promise<void> {
  if (typeof o.notifiedAt !== 'number' || !Number.isFinite(o.notifiedAt)) throw new TresorError('E_INVALID', 'notifiedAt: when the subject was told (Art. 18(3))', { detail: { field: 'notifiedAt' } });
  // the subject is told before the restriction is lifted (Art. 18(3)), so never in the future
  if (o.notifiedAt > (o.now ?? Date.now())) throw new TresorError('E_INVALID', 'notifiedAt is in the future: the subject is told before the restriction is lifted (Art. 18(3))', { detail: { field: 'notifiedAt' } });
  mustGet(deps, id);
  await deps.store.tx(() => {
    const row = mustGet(deps, id);
    const kinds = (row.marks ?? []).filter((m) => m.startsWith(PREFIX)).map((m) => m.slice(PREFIX.length));
    if (!kinds.length) throw new TresorError('E_CONFLICT', `recording ${id} is not restricted`);
    deps.store.recordings.setMarks(id, (row.marks ?? []).filter((m) => !m.startsWith(PREFIX)));
    deps.log.appendSync([{
      actor: by, action: 'recording.restriction-lifted', target: `recording:${id}`,
      detail: { reasons: kinds, notifiedAt: new Date(o.notifiedAt).toISOString(), requestId: o.requestId ?? null },
    }]);
  });
}
