import { TresorError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { LogWriter } from '../core/types.ts';
import type { AlertRow, IndexStore } from '../store/index.ts';
import type { Firing } from './rules.ts';
import { messageOf, type AlertMessage, type Channel } from './channels/types.ts';

export interface Transition {
  row: AlertRow;
  event: AlertMessage['event'];
  at: number;
}

/**
 * Episodes: a firing whose key has no open alert raises one; an open alert whose key no
 * longer fires is cleared; an alert still firing stays as it is (raised once per episode,
 * not on every evaluation). One transaction for all rows and their log entries, so a
 * crash leaves either the old state or the new one, and a CLI evaluating at the same time
 * waits for LMDB's writer lock and then sees these rows.
 */
export async function applyFirings(store: IndexStore, log: LogWriter, firings: Firing[], now: number, actor = 'system:alerts'): Promise<Transition[]> {
  return store.tx(() => {
    const active = new Map(store.alerts.active().map((r) => [r.key, r]));
    const firing = new Map(firings.map((f) => [f.key, f]));
    const out: Transition[] = [];
    for (const f of firing.values()) {
      if (active.has(f.key)) continue;
      const row: AlertRow = {
        v: 1, id: newId(now), rule: f.rule, key: f.key, severity: f.severity, subject: f.subject, detail: f.detail,
        state: 'open', raisedAt: now, acknowledgedAt: null, acknowledgedBy: null, clearedAt: null, deliveries: {},
      };
      store.alerts.put(row);
      out.push({ row, event: 'raised', at: now });
    }
    for (const row of active.values()) {
      if (firing.has(row.key)) continue;
      const cleared: AlertRow = { ...row, state: 'cleared', clearedAt: now };
      store.alerts.put(cleared);
      out.push({ row: cleared, event: 'cleared', at: now });
    }
    // rule, severity, counts; the subject is a log actor or witness name, never a number
    if (out.length) {
      log.appendSync(out.map((t) => ({
        actor, action: `alert.${t.event}`, target: `alert:${t.row.id}`,
        detail: { rule: t.row.rule, severity: t.row.severity, ...(t.row.subject ? { subject: t.row.subject } : {}), ...(t.event === 'raised' ? t.row.detail : {}) },
      })));
    }
    return out;
  });
}

/** A person has seen it: the alert stays listed (acknowledged) until its condition is gone. */
export async function acknowledgeAlert(store: IndexStore, log: LogWriter, id: string, by: string, now = Date.now()): Promise<Transition> {
  return store.tx(() => {
    const row = store.alerts.get(id);
    if (!row) throw new TresorError('E_NOT_FOUND', `no alert ${id}`);
    if (row.state !== 'open') throw new TresorError('E_CONFLICT', `alert ${id} is ${row.state} already`);
    const next: AlertRow = { ...row, state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: by };
    store.alerts.put(next);
    log.appendSync([{ actor: by, action: 'alert.acknowledged', target: `alert:${id}`, detail: { rule: row.rule, severity: row.severity } }]);
    return { row: next, event: 'acknowledged' as const, at: now };
  });
}

/** The last result of each channel, for the dashboard ("a channel failing is itself shown"). */
export type ChannelHealth = Record<string, { ok: boolean; at: number; error: string | null }>;

/**
 * Sends each transition to the channels that take its event and records the outcome on
 * the alert row. A failing channel never stops the others.
 */
export async function deliver(store: IndexStore, channels: Channel[], transitions: Transition[], health: ChannelHealth): Promise<void> {
  for (const t of transitions) {
    const m = messageOf(t.row, t.event, t.at);
    const results = await Promise.all(channels.filter((c) => c.events.includes(t.event)).map(async (c) => {
      try {
        const r = await c.send(m);
        return [c.name, { ok: true, at: Date.now(), attempts: r.attempts, error: null }] as const;
      } catch (e) {
        return [c.name, { ok: false, at: Date.now(), attempts: (e as { attempts?: number }).attempts ?? 1, error: (e as Error).message }] as const;
      }
    }));
    for (const [name, d] of results) health[name] = { ok: d.ok, at: d.at, error: d.error };
    if (t.event !== 'raised' || results.length === 0) continue;
    await store.tx(() => {
      const row = store.alerts.get(t.row.id);
      if (row) store.alerts.put({ ...row, deliveries: { ...row.deliveries, ...Object.fromEntries(results) } });
    });
  }
}
