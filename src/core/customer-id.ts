/**
 * A customer id as the CRM gives it (sidecar field `customerId`, typed by a DPO): trimmed,
 * at most MAX_CUSTOMER_ID characters, or undefined. Ingest and the privacy lookups
 * tokenise the same form, so the token of " K-1 " and "K-1" is one.
 */
export const MAX_CUSTOMER_ID = 256;

export function normalizeCustomerId(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().normalize('NFC');
  return s && s.length <= MAX_CUSTOMER_ID ? s : undefined;
}
