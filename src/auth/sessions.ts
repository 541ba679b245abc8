import { createHash, randomBytes } from 'node:crypto';
import type { IndexStore, SessionRow } from '../store/index.ts';

/**
 * Console sessions (OWASP session management): 256-bit random ids, a new id at every
 * login (no fixation), idle and absolute time-outs checked on the server. Only the
 * SHA-256 of an id is stored, so a copy of the index does not hand out live sessions.
 */
export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
}

const TOUCH_EVERY_MS = 60_000;

// The touch below is written asynchronously (no disk wait on the request path); until
// that commit lands, this process remembers the newer time so the idle check is exact.
const touched = new Map<string, number>();

export function sessionKey(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export async function createSession(store: IndexStore, user: string, epoch: number, now: number): Promise<{ id: string; row: SessionRow }> {
  const id = randomBytes(32).toString('base64url');
  const row: SessionRow = { user, createdAt: now, lastSeen: now, epoch, csrf: randomBytes(32).toString('base64url') };
  await store.tx(() => store.sessions.put(sessionKey(id), row));
  return { id, row };
}

export type SessionState = { ok: true; key: string; row: SessionRow } | { ok: false; reason: 'unknown' | 'idle' | 'expired' };

export function lookupSession(store: IndexStore, id: string, limits: SessionLimits, now: number): SessionState {
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return { ok: false, reason: 'unknown' };
  const key = sessionKey(id);
  const stored = store.sessions.get(key);
  if (!stored) return { ok: false, reason: 'unknown' };
  const row = { ...stored, lastSeen: Math.max(stored.lastSeen, touched.get(key) ?? 0) };
  if (now - row.createdAt > limits.absoluteMs) {
    void store.tx(() => store.sessions.remove(key));
    return { ok: false, reason: 'expired' };
  }
  if (now - row.lastSeen > limits.idleMs) {
    void store.tx(() => store.sessions.remove(key));
    return { ok: false, reason: 'idle' };
  }
  // lastSeen needs minute precision for the idle time-out, not a disk write per request
  if (now - row.lastSeen > TOUCH_EVERY_MS) {
    const fresh = { ...row, lastSeen: now };
    touched.set(key, now);
    void store.tx(() => store.sessions.put(key, fresh)).then(() => touched.delete(key), () => undefined);
    return { ok: true, key, row: fresh };
  }
  return { ok: true, key, row };
}

export async function endSession(store: IndexStore, key: string): Promise<void> {
  await store.tx(() => store.sessions.remove(key));
}

/** Removes sessions that can no longer be used (run at login; sessions are few). */
export async function sweepSessions(store: IndexStore, limits: SessionLimits, now: number, endUser?: string): Promise<number> {
  const dead = store.sessions.unusable(now, limits, endUser);
  if (dead.length) await store.tx(() => dead.forEach((k) => store.sessions.remove(k)));
  return dead.length;
}
