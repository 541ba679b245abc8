import { TresorError } from '../core/errors.ts';
import { normalizeNumber, type PhoneConfig } from '../core/phone.ts';
import { MAX_CUSTOMER_ID, normalizeCustomerId } from '../core/customer-id.ts';
import type { Keyring } from '../crypto/index.ts';
import type { RequestTokenKind } from '../store/index.ts';

/** How a data subject is named to Tresor: a phone number (any spelling) and/or a customer id. */
export interface SubjectIdentifiers {
  number?: string;
  customerId?: string;
}

export interface NormalisedIdentifiers {
  /** as the index tokenises it: E.164 where the form allows (src/core/phone.ts) */
  number?: string;
  customerId?: string;
}

/** The identifiers in the form ingest tokenised them; refuses an empty or unreadable one. */
export function normaliseIdentifiers(ids: SubjectIdentifiers, phone: PhoneConfig): NormalisedIdentifiers {
  const out: NormalisedIdentifiers = {};
  if (ids.number !== undefined && ids.number !== null) {
    if (typeof ids.number !== 'string') throw new TresorError('E_INVALID', 'number must be a string');
    const n = normalizeNumber(ids.number, phone);
    if (!n) throw new TresorError('E_INVALID', 'the number is not a phone number', { detail: { field: 'number' } });
    out.number = n;
  }
  if (ids.customerId !== undefined && ids.customerId !== null) {
    if (typeof ids.customerId !== 'string') throw new TresorError('E_INVALID', 'customerId must be a string');
    const c = normalizeCustomerId(ids.customerId);
    if (!c) throw new TresorError('E_INVALID', `customerId must be 1–${MAX_CUSTOMER_ID} characters`, { detail: { field: 'customerId' } });
    out.customerId = c;
  }
  if (!out.number && !out.customerId) throw new TresorError('E_INVALID', 'give a number or a customer id', { detail: { reason: 'no-identifier' } });
  return out;
}

/** The keyed tokens of the identifiers: the same `tokenize` (kind, value) the ingest uses for numbers. */
export function tokensOfIdentifiers(keys: Pick<Keyring, 'tokenize'>, ids: NormalisedIdentifiers): { kind: RequestTokenKind; token: string }[] {
  const t: { kind: RequestTokenKind; token: string }[] = [];
  if (ids.number) t.push({ kind: 'phone', token: keys.tokenize('phone', ids.number) });
  if (ids.customerId) t.push({ kind: 'customer', token: keys.tokenize('customer', ids.customerId) });
  return t;
}

/** A token's first 16 hex digits: enough to match a log line to a subject later, by whoever can compute the token. */
export const tokenPrefix = (token: string) => token.slice(0, 16);
