import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { normalizeNumber } from '../core/phone.ts';
import { normalizeCustomerId } from '../core/customer-id.ts';
import { agentTokenRefs } from '../core/agent-name.ts';
import type { Keyring } from '../crypto/index.ts';
import type { IndexStore, PersonalFields, TokenRef } from '../store/index.ts';
import type { LogWriter } from '../core/types.ts';
import type { PhoneConfig } from '../core/phone.ts';

/** The personal metadata a DPO may correct (GDPR Art. 16). */
export const RECTIFIABLE_FIELDS = ['from', 'to', 'agent', 'customerId'] as const;
export type RectifiableField = (typeof RECTIFIABLE_FIELDS)[number];

export interface RectifyDeps {
  store: IndexStore;
  log: LogWriter;
  keys: Pick<Keyring, 'tokenize' | 'openRecording' | 'sealFor'>;
  phone: PhoneConfig;
}

/**
 * Corrects one personal field of a call: `recording.rectified` (field names and request
 * id only) is durable in the log before the old metadata is decrypted (DESIGN §1); the
 * fields are sealed anew under the call's own data key (sealFor reuses it, so one
 * crypto-shred still erases everything), the supplementary statement goes in sealed with
 * them, and the token index moves: the new number finds the call, the old one no longer.
 */
export async function rectifyRecording(
  deps: RectifyDeps, by: string, id: string, o: { field: string; value: string; statement?: string; requestId?: string; now?: number },
): Promise<void> {
  const now = o.now ?? Date.now();
  if (!(RECTIFIABLE_FIELDS as readonly string[]).includes(o.field)) throw new TresorError('E_INVALID', `field must be one of ${RECTIFIABLE_FIELDS.join(', ')}`, { detail: { field: 'field' } });
  const field = o.field as RectifiableField;
  const value = field === 'from' || field === 'to' ? normalizeNumber(o.value, deps.phone) : field === 'customerId' ? normalizeCustomerId(o.value) : (o.value ?? '').trim() || null;
  if (!value) throw new TresorError('E_INVALID', `${field}: not a valid value`, { detail: { field: 'value' } });
  if (o.statement !== undefined && o.statement.length > 2000) throw new TresorError('E_INVALID', 'statement is longer than 2000 characters');
  const row = isId(id) ? deps.store.recordings.get(id) : undefined;
  if (!row || !deps.store.keys.has(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
  await deps.log.append([{ actor: by, action: 'recording.rectified', target: `recording:${id}`, detail: { fields: [field], requestId: o.requestId ?? null, statement: o.statement ? true : false } }]);
  const p = JSON.parse(deps.keys.openRecording(id).open(row.personal).toString('utf8')) as PersonalFields;
  const next: PersonalFields = { ...p, extra: { ...p.extra } };
  if (field === 'customerId') next.extra.customerId = value;
  else next[field] = value;
  if (o.statement) next.statements = [...(p.statements ?? []), { fields: [field], at: new Date(now).toISOString(), by, statement: o.statement }];
  const t: TokenRef[] = [];
  for (const n of new Set([next.from, next.to].filter((x): x is string => !!x))) t.push({ kind: 'phone', token: deps.keys.tokenize('phone', n) });
  t.push(...agentTokenRefs((k, v) => deps.keys.tokenize(k, v), next.agent));
  if (next.callId) t.push({ kind: 'callId', token: deps.keys.tokenize('callId', next.callId) });
  const customer = normalizeCustomerId(next.extra.customerId);
  if (customer) t.push({ kind: 'customer', token: deps.keys.tokenize('customer', customer) });
  const sealed = deps.keys.sealFor(id).seal(Buffer.from(JSON.stringify(next)));
  await deps.store.tx(() => {
    if (!deps.store.recordings.rectify(id, sealed, t)) throw new TresorError('E_NOT_FOUND', `recording ${id} went meanwhile`);
  });
}
