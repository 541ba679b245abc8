import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../core/ids.ts';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { ApiTokenRow, IndexStore } from '../store/index.ts';

/**
 * API tokens for integrations: `tresor_<id>_<secret>`. Shown once at creation; the
 * index keeps only SHA-256(secret) (the secret is 256 random bits, so a fast hash is
 * enough). A token acts as its owner with the owner's roles at the time of use, so
 * disabling the user stops the token too.
 */
const TOKEN_RE = /^tresor_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export async function createApiToken(store: IndexStore, log: LogWriter, by: string, user: string, label: string): Promise<{ token: string; row: ApiTokenRow }> {
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  const row: ApiTokenRow = { id, user, label: label.slice(0, 100), secretSha256: sha(secret), createdAt: Date.now(), createdBy: by, revokedAt: null, lastUsedAt: null };
  await store.tx(() => {
    store.apiTokens.put(row);
    log.appendSync([{ actor: by, action: 'token.created', target: `token:${id}`, detail: { user } }]);
  });
  return { token: `tresor_${id}_${secret}`, row };
}

export function listApiTokens(store: IndexStore, user?: string): ApiTokenRow[] {
  return store.apiTokens.list(user);
}

export async function revokeApiToken(store: IndexStore, log: LogWriter, by: string, id: string): Promise<void> {
  const row = store.apiTokens.get(id);
  if (!row) throw new TresorError('E_NOT_FOUND', `no API token ${id}`);
  if (row.revokedAt) return;
  await store.tx(() => {
    store.apiTokens.put({ ...row, revokedAt: Date.now() });
    log.appendSync([{ actor: by, action: 'token.revoked', target: `token:${id}`, detail: { user: row.user } }]);
  });
}

/** The token's row when the bearer value is a live token, else null. Constant-time compare. */
export function checkApiToken(store: IndexStore, bearer: string): ApiTokenRow | null {
  const m = TOKEN_RE.exec(bearer);
  if (!m) return null;
  const row = store.apiTokens.get(m[1]!);
  if (!row || row.revokedAt) return null;
  const a = Buffer.from(sha(m[2]!), 'hex');
  const b = Buffer.from(row.secretSha256, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  return row;
}
