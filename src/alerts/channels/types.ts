import type { AlertRow } from '../../store/index.ts';

/** What a channel sends: the rule, severity, time and the counts that made it fire. */
export interface AlertMessage {
  event: 'raised' | 'acknowledged' | 'cleared';
  id: string;
  rule: string;
  severity: AlertRow['severity'];
  subject: string | null;
  at: string;
  detail: AlertRow['detail'];
}

/** A channel delivers or throws; `attempts` says how often it tried (webhook retries). */
export interface Channel {
  name: string;
  /** which events go out here (mail and webhook: only raised alerts) */
  events: readonly AlertMessage['event'][];
  send(m: AlertMessage): Promise<{ attempts: number }>;
}

export const messageOf = (row: AlertRow, event: AlertMessage['event'], at: number): AlertMessage => ({
  event, id: row.id, rule: row.rule, severity: row.severity, subject: row.subject, at: new Date(at).toISOString(), detail: row.detail,
});
