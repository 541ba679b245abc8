import type { Handles } from './handles.ts';

/** The kinds of data-subject request (GDPR Art. 15, 16, 17, 18, 21, 7(3), 77). */
export const REQUEST_KINDS = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'consent-withdrawal', 'complaint'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATES = ['received', 'identity-verified', 'in-progress', 'answered', 'refused', 'withdrawn'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
export const OPEN_STATES: readonly RequestState[] = ['received', 'identity-verified', 'in-progress'];

/** Which identifier a token was made from: the keyring's token kinds (phone = E.164). */
export type RequestTokenKind = 'phone' | 'customer';

/**
 * A data-subject request (src/privacy/requests.ts has the rules). Personal data (the
 * number, the customer id, free-text reasons) only sealed under the request's own context
 * (its own data key `r:<id>` in the key table, src/privacy/request-key.ts; older rows: keyring.sealSecret(`request:<id>`, …));
 * in clear only keyed tokens, kinds, states, times.
 */
export interface RequestRow {
  v: 1;
  id: string;
  kind: RequestKind;
  state: RequestState;
  /** epoch ms the controller received the request (starts the Art. 12(3) month) */
  receivedAt: number;
  /** how it came in: letter, email, phone, web form… (no personal data) */
  channel: string;
  /** the Art. 12(3) deadline in force (the end of a local day) */
  dueAt: number;
  /** one month after receipt: notices of extension must be sent before this */
  firstDueAt: number;
  /** tokens of the identifiers, for lookups (keyring.tokenize) */
  tokens: { kind: RequestTokenKind; token: string }[];
  /** sealed JSON { number?, customerId? } */
  identifiers: string;
  identity: { method: string; by: string; at: number } | null;
  extension: { months: 1 | 2; notifiedAt: number; by: string; at: number; /** sealed text */ reason: string } | null;
  openedBy: string;
  openedAt: number;
  closedAt: number | null;
  closedBy: string | null;
  /** sealed text: why refused (with the Art. 12(4) information given), or a note on the answer */
  closeReason: string | null;
  /** access requests: the DPO's review of the Art. 15 package (src/privacy/package-review.ts); absent until the first step */
  package?: PackageReview;
  /** crypto-shredded after privacy.closedRequestYears (src/privacy/request-shred.ts): its key is gone, sealed fields and tokens emptied */
  shreddedAt?: number;
}

/** Why a call is withheld from an access package: Art. 15(4), the rights and freedoms of others. */
export const PACKAGE_EXCLUSION_REASONS = ['third-party-data', 'trade-secret', 'other-rights'] as const;
export type PackageExclusionReason = (typeof PACKAGE_EXCLUSION_REASONS)[number];

export interface PackageReview {
  /** calls withheld: id and reason code in clear (no personal data), the DPO's note sealed under `request:<id>` */
  exclusions: { callId: string; reason: PackageExclusionReason; note: string | null; by: string; at: number }[];
  /** set once: the package was built from the calls not excluded and released */
  released: { at: number; by: string; calls: number; withheld: number; wav: boolean; encrypted: boolean; exportSeq: number; /** the calls in it (recording ids): an erasure finds the copies by them */ ids?: string[] } | null;
}

/**
 * `requests`: request id (time-ordered) → RequestRow, and `requestTokens`:
 * [token kind, token, request id] → true, written here only. Writes belong inside store.tx.
 */
export class RequestsTable {
  readonly #db: Handles['requests'];
  readonly #tokens: Handles['requestTokens'];
  constructor(h: Handles) {
    this.#db = h.requests;
    this.#tokens = h.requestTokens;
  }

  get(id: string): RequestRow | undefined {
    return this.#db.get(id) as RequestRow | undefined;
  }

  /** every request (or those in the given states), newest first */
  list(states?: readonly RequestState[]): RequestRow[] {
    const out: RequestRow[] = [];
    for (const { value } of this.#db.getRange({ reverse: true })) {
      const r = value as RequestRow;
      if (!states || states.includes(r.state)) out.push(r);
    }
    return out;
  }

  /** ids of the requests made with this identifier token, oldest first */
  idsByToken(kind: RequestTokenKind, token: string): string[] {
    return [...this.#tokens.getKeys({ start: [kind, token], end: [kind, token, '\uffff'] })].map((k) => k[2] as string);
  }

  put(row: RequestRow): void {
    const old = this.get(row.id);
    for (const t of old?.tokens ?? []) void this.#tokens.remove([t.kind, t.token, row.id]);
    void this.#db.put(row.id, row);
    for (const t of row.tokens) void this.#tokens.put([t.kind, t.token, row.id], true);
  }
}
