import type { Handles } from './handles.ts';

/**
 * A console session (src/auth/sessions.ts). Stored under the SHA-256 of the session id:
 * the cookie value itself is never stored, so a copy of the index hands out no sessions.
 */
export interface SessionRow {
  user: string;
  createdAt: number;
  lastSeen: number;
  /** the user's sessionEpoch at login; a higher epoch on the user ends this session */
  epoch: number;
  /** per-session CSRF token (synchroniser token pattern) */
  csrf: string;
}

/** `sessions`: SHA-256 hex of a session id → SessionRow. Writes belong inside store.tx. */
export class SessionsTable {
  readonly #db: Handles['sessions'];
  constructor(h: Handles) {
    this.#db = h.sessions;
  }

  get(key: string): SessionRow | undefined {
    return this.#db.get(key) as SessionRow | undefined;
  }

  /** stored sessions, expired ones included until a sweep removes them (/metrics) */
  count(): number {
    return this.#db.getCount();
  }

  /**
   * Keys of sessions that can no longer be used at `now` — past the absolute or the idle
   * time-out — and every session of `endUser` ("log out everywhere"). Sessions are few:
   * a full scan at login is cheaper than an index kept up on every touch.
   */
  unusable(now: number, limits: { idleMs: number; absoluteMs: number }, endUser?: string): string[] {
    const dead: string[] = [];
    for (const { key, value } of this.#db.getRange()) {
      const s = value as SessionRow;
      if (s.user === endUser || now - s.createdAt > limits.absoluteMs || now - s.lastSeen > limits.idleMs) dead.push(key);
    }
    return dead;
  }

  put(key: string, row: SessionRow): void {
    void this.#db.put(key, row);
  }

  remove(key: string): void {
    void this.#db.remove(key);
  }
}
