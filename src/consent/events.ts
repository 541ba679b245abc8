// Consent events from the PBX, IVR or CRM (issue 12, item 2): POST /api/consent with a
// token of role `integration`. A call already archived gets the event as sealed evidence
// at once (its state follows the latest evidence); an event for a call not yet here waits
// in consentPending, sealed, keyed by the call id's keyed token, until ingest takes it or
// `consent.pendingHours` passes.
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { fromEvent, parseEvent, recordedEntry, sealEvidence } from './evidence.ts';

export const pendingContext = (token: string) => `consent-pending:${token}`;

export interface ConsentDeps {
  store: IndexStore;
  log: LogWriter;
  keys: Pick<Keyring, 'tokenize' | 'sealSecret' | 'sealFor'>;
  pendingHours: number;
}

export interface EventOutcome {
  /** applied: to the archived recording(s); pending: waits for the file */
  status: 'applied' | 'pending';
  recordings: string[];
}

export async function receiveEvent(d: ConsentDeps, actor: string, body: Record<string, unknown>): Promise<EventOutcome> {
  const e = parseEvent(body);
  const now = Date.now();
  const ev = fromEvent(e, now);
  const token = d.keys.tokenize('callId', e.callId);
  const ids = d.store.recordings.idsByToken('callId', token).filter((id) => d.store.recordings.has(id) && d.store.keys.has(id));
  if (ids.length === 0) {
    const sealed = d.keys.sealSecret(pendingContext(token), JSON.stringify(ev));
    await d.store.tx(() => {
      d.store.consentPending.put({ v: 1, token, receivedAt: now, method: ev.method, state: ev.state, sealed }, d.store.consentPending.forToken(token).length);
      // the token's first 16 hex digits: enough to match the later consent.recorded, no call id
      d.log.appendSync([{ actor, action: 'consent.pending', target: 'consent', detail: { method: ev.method, state: ev.state, callToken: token.slice(0, 16) } }]);
    });
    return { status: 'pending', recordings: [] };
  }
  // sealed under each recording's existing key before the transaction (fn must be synchronous)
  const sealed = ids.map((id) => ({ id, s: sealEvidence(d.keys.sealFor(id), ev) }));
  await d.store.tx(() => {
    for (const { id, s } of sealed) {
      const row = d.store.recordings.get(id);
      if (!row) throw new TresorError('E_NOT_FOUND', `recording ${id} went away`);
      row.consentEvidence = [...(row.consentEvidence ?? []), s];
      row.consentState = s.state;
      d.store.recordings.put(row);
      d.log.appendSync([recordedEntry(actor, id, s, { after: 'archived' })]);
    }
  });
  return { status: 'applied', recordings: ids };
}

/** Drops the waiting events older than `pendingHours`, one log entry each (no call id). */
export async function expirePending(d: Pick<ConsentDeps, 'store' | 'log' | 'pendingHours'>, actor = 'system:consent'): Promise<number> {
  const old = d.store.consentPending.olderThan(Date.now() - d.pendingHours * 3600_000);
  if (!old.length) return 0;
  await d.store.tx(() => {
    for (const { key, row } of old) d.store.consentPending.remove(key);
    d.log.appendSync(old.map(({ row }) => ({ actor, action: 'consent.expired', target: 'consent', detail: { method: row.method, state: row.state, callToken: row.token.slice(0, 16) } })));
  });
  return old.length;
}
