import type { Handles } from './handles.ts';

/**
 * A consent event that arrived before its recording (issue 12: the IVR or CRM reports
 * before the PBX has written the file). Keyed by the keyed token of the call id, never
 * the id itself; the event is sealed (keyring.sealSecret, context `consent-pending:<token>`)
 * until ingest re-seals it with the recording's own key.
 */
export interface PendingConsentRow {
  v: 1;
  token: string;
  receivedAt: number;
  /** method and state in clear (kinds, no personal data), for the expiry's log entry */
  method: string;
  state: string;
  sealed: string;
}

/** `consentPending`: [call-id token, receivedAt, n] → PendingConsentRow. Writes inside store.tx. */
export class ConsentPendingTable {
  readonly #db: Handles['consentPending'];
  constructor(h: Handles) {
    this.#db = h.consentPending;
  }

  /** the events waiting for this call, oldest first, with their keys (for take) */
  forToken(token: string): { key: unknown[]; row: PendingConsentRow }[] {
    return [...this.#db.getRange({ start: [token], end: [token, '\uffff'] })].map(({ key, value }) => ({ key: key as unknown[], row: value as PendingConsentRow }));
  }

  /** every waiting event received before `before` (epoch ms) */
  olderThan(before: number): { key: unknown[]; row: PendingConsentRow }[] {
    const out: { key: unknown[]; row: PendingConsentRow }[] = [];
    for (const { key, value } of this.#db.getRange({})) if ((value as PendingConsentRow).receivedAt < before) out.push({ key: key as unknown[], row: value as PendingConsentRow });
    return out;
  }

  put(row: PendingConsentRow, n: number): void {
    void this.#db.put([row.token, row.receivedAt, n], row);
  }

  remove(key: unknown[]): void {
    void this.#db.remove(key as never);
  }
}
