import { TresorError } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { OBJECTION_SCOPES, type ObjectionRow, type ObjectionScope } from '../store/index.ts';
import type { PrivacyDeps } from './deps.ts';
import { normaliseIdentifiers, tokensOfIdentifiers, type SubjectIdentifiers } from './identifiers.ts';

/**
 * The objection / do-not-record register (GDPR Art. 21, consent withdrawal Art. 7(3)).
 * Entries hold keyed tokens in clear and the identifier sealed (`objection:<id>`); the
 * log names id, scope and request id — never the number (DESIGN §3).
 */

const context = (id: string) => `objection:${id}`;

export function isObjectionScope(s: unknown): s is ObjectionScope {
  return typeof s === 'string' && (OBJECTION_SCOPES as readonly string[]).includes(s);
}

export interface AddObjectionInput extends SubjectIdentifiers {
  scope: string;
  requestId?: string;
  now?: number;
}

/**
 * Registers an objection. Returns the row and how many archived calls already carry one of
 * its tokens: those are a DPO task (erase or restrict), they are not touched here.
 */
export async function addObjection(deps: PrivacyDeps, by: string, input: AddObjectionInput): Promise<{ row: ObjectionRow; existingCalls: number }> {
  const now = input.now ?? Date.now();
  if (!isObjectionScope(input.scope)) throw new TresorError('E_INVALID', `scope must be one of ${OBJECTION_SCOPES.join(', ')}`, { detail: { field: 'scope' } });
  if (input.requestId !== undefined && !deps.store.requests.get(input.requestId)) {
    throw new TresorError('E_NOT_FOUND', `no request ${input.requestId}`, { detail: { field: 'requestId' } });
  }
  const ids = normaliseIdentifiers(input, deps.phone);
  const id = newId(now);
  const row: ObjectionRow = {
    v: 1, id, scope: input.scope, tokens: tokensOfIdentifiers(deps.keys, ids),
    identifiers: deps.keys.sealSecret(context(id), JSON.stringify(ids)),
    requestId: input.requestId ?? null, createdBy: by, createdAt: now, removedAt: null, removedBy: null,
  };
  const existingCalls = new Set(row.tokens.flatMap((t) => deps.store.recordings.idsByToken(t.kind, t.token))).size;
  await deps.store.tx(() => {
    deps.store.objections.put(row);
    deps.log.appendSync([{
      actor: by, action: 'objection.added', target: `objection:${id}`,
      detail: { scope: row.scope, requestId: row.requestId, identifiers: row.tokens.map((t) => t.kind), existingCalls },
    }]);
  });
  return { row, existingCalls };
}

/** Ends an entry (the subject withdrew the objection, or it was entered by mistake); kept in the register's history. */
export async function removeObjection(deps: PrivacyDeps, by: string, id: string, o: { now?: number } = {}): Promise<ObjectionRow> {
  const now = o.now ?? Date.now();
  return deps.store.tx(() => {
    const r = isId(id) ? deps.store.objections.get(id) : undefined;
    if (!r) throw new TresorError('E_NOT_FOUND', `no objection ${id}`);
    if (r.removedAt !== null) throw new TresorError('E_CONFLICT', `objection ${id} was removed already`);
    const row = { ...r, removedAt: now, removedBy: by };
    deps.store.objections.put(row);
    deps.log.appendSync([{ actor: by, action: 'objection.removed', target: `objection:${id}`, detail: { scope: row.scope, requestId: row.requestId } }]);
    return row;
  });
}

export function listObjections(deps: Pick<PrivacyDeps, 'store'>): ObjectionRow[] {
  return deps.store.objections.list();
}

/** Whether the register forbids this for a subject with these tokens (speech analysis asks `analytics`). */
export function objectsTo(deps: Pick<PrivacyDeps, 'store'>, tokens: readonly { kind: string; token: string }[], scope: ObjectionScope): boolean {
  return deps.store.objections.objectsTo(tokens, scope);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the CLI and API print: no identifier (sealed), only its kind. */
export function objectionView(r: ObjectionRow) {
  return {
    id: r.id, scope: r.scope, identifiers: r.tokens.map((t) => t.kind), requestId: r.requestId,
    createdBy: r.createdBy, createdAt: iso(r.createdAt), removedAt: iso(r.removedAt), removedBy: r.removedBy, active: r.removedAt === null,
  };
}
export type ObjectionView = ReturnType<typeof objectionView>;
