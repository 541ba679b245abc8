import type { Handles } from './handles.ts';

export type AlertSeverity = 'critical' | 'warning' | 'notice';
export type AlertState = 'open' | 'acknowledged' | 'cleared';

/** How one channel delivered (or failed to deliver) one alert. */
export interface AlertDelivery {
  ok: boolean;
  at: number;
  attempts: number;
  error: string | null;
}

/**
 * One alert episode (src/alerts/ has the rules): raised once when its condition starts,
 * acknowledged by a person, cleared when the condition is gone. Counts, ids and rule names
 * only: `subject` is a log actor (`user:NAME`, `token:ID`) or a witness name, never a number.
 */
export interface AlertRow {
  v: 1;
  id: string;
  rule: string;
  /** the episode: rule plus subject; one open row per key at most */
  key: string;
  severity: AlertSeverity;
  subject: string | null;
  /** numbers and codes that made it fire (counts, thresholds, days) */
  detail: Record<string, string | number | boolean | null>;
  state: AlertState;
  raisedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  clearedAt: number | null;
  /** channel name → the last delivery of this alert */
  deliveries: Record<string, AlertDelivery>;
}

/** `alerts`: alert id (time-ordered) → AlertRow, written here only. Writes belong inside store.tx. */
export class AlertsTable {
  readonly #db: Handles['alerts'];
  constructor(h: Handles) {
    this.#db = h.alerts;
  }

  get(id: string): AlertRow | undefined {
    return this.#db.get(id) as AlertRow | undefined;
  }

  /** newest first, at most `limit` */
  latest(limit = 200): AlertRow[] {
    return [...this.#db.getRange({ reverse: true, limit })].map((e) => e.value as AlertRow);
  }

  /**
   * Alerts not cleared yet, newest first. The table keeps history, so this walks the newest
   * `lookBack` rows: an episode open longer than that many newer alerts is not expected
   * (one open row per rule and subject; each is raised once, not every evaluation).
   */
  active(lookBack = 10_000): AlertRow[] {
    const out: AlertRow[] = [];
    for (const { value } of this.#db.getRange({ reverse: true, limit: lookBack })) {
      const r = value as AlertRow;
      if (r.state !== 'cleared') out.push(r);
    }
    return out;
  }

  /** rows raised at or after `since` (ms), oldest first, for the weekly chart */
  raisedSince(since: number, idFloor: string): AlertRow[] {
    return [...this.#db.getRange({ start: idFloor })].map((e) => e.value as AlertRow).filter((r) => r.raisedAt >= since);
  }

  count(): number {
    return this.#db.getCount();
  }

  put(row: AlertRow): void {
    void this.#db.put(row.id, row);
  }
}
