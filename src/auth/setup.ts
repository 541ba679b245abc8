import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IndexStore } from '../store/index.ts';

/**
 * First start: no users, no default password (DESIGN §6). The service prints a one-time
 * link; whoever opens it first (on the box's console or over SSH, where the link was
 * printed) creates the first admin. The link works once and for 24 hours; a restart
 * prints a fresh one.
 */
const TTL_MS = 24 * 3600_000;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function setupNeeded(store: IndexStore): boolean {
  return store.users.count() === 0;
}

export async function newSetupToken(store: IndexStore, now = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await store.tx(() => store.meta.putSetup({ sha256: sha(token), expiresAt: now + TTL_MS }));
  return token;
}

export function setupTokenValid(store: IndexStore, token: string, now = Date.now()): boolean {
  const row = store.meta.setup();
  if (!row || row.expiresAt < now || !setupNeeded(store)) return false;
  const a = Buffer.from(sha(token), 'hex');
  const b = Buffer.from(row.sha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function consumeSetupToken(store: IndexStore): Promise<void> {
  await store.tx(() => store.meta.removeSetup());
}
