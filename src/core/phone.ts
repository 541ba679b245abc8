// Phone numbers as PBXs write them → E.164, so that the index token of "+49 30 123456"
// is the same whether the PBX wrote `+4930123456`, `0049 30 123456` or `030/123456`.

/** The `phone` settings (config/schema.ts), as far as normalising needs them. */
export interface PhoneConfig {
  /** country calling code without +, for numbers written nationally (030 1234 → +49301234) */
  countryCode: string;
  /** trunk prefix dialled before national numbers */
  nationalPrefix: string;
  /** prefix dialled before international numbers */
  internationalPrefix: string;
}

/** What PBXs put in the caller-id slot when there is no number (Asterisk writes `s`). */
const NO_NUMBER = new Set(['', 's', 'anonymous', 'unknown', 'unavailable', 'restricted', 'private', 'withheld']);

/** Internal extensions are at most this long; longer digit strings are treated as numbers. */
export const MAX_EXTENSION_DIGITS = 6;

/** E.164 allows at most 15 digits; fewer than 7 is no dialable international number. */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Normalises one number. Returns E.164 (`+4930123456`) where the form allows it, a short
 * internal extension unchanged (`201`: extensions are not E.164), the cleaned raw digits
 * when the number is long but carries no prefix we can read (a local number without area
 * code), and undefined when there is no number. Never throws.
 */
export function normalizeNumber(raw: string, cfg: PhoneConfig): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let s = stripUri(raw.trim());
  if (NO_NUMBER.has(s.toLowerCase())) return undefined;
  // "+49 (0)30 …": the bracketed trunk prefix is only a hint for national dialling.
  s = s.replace(/\(0\)/g, '');
  s = s.replace(/[\s\-–()./\[\]]/g, '');
  const plus = s.startsWith('+');
  const digits = plus ? s.slice(1) : s;
  if (!/^\d+$/.test(digits)) return undefined;

  // Whatever cannot be made E.164 is kept as written (cleaned), never invented.
  if (plus) return e164Or(digits, s);
  if (digits.length <= MAX_EXTENSION_DIGITS) return digits;
  if (cfg.internationalPrefix && digits.startsWith(cfg.internationalPrefix)) {
    return e164Or(digits.slice(cfg.internationalPrefix.length), digits);
  }
  if (cfg.nationalPrefix && digits.startsWith(cfg.nationalPrefix)) {
    return e164Or(cfg.countryCode + digits.slice(cfg.nationalPrefix.length), digits);
  }
  // SIP trunks often deliver numbers internationally without "+" (`4930123456`).
  // We only read it that way when it starts with our own country code; anything else
  // (e.g. a local number dialled without area code) is kept as digits, not guessed.
  if (cfg.countryCode && digits.startsWith(cfg.countryCode)) return e164Or(digits, digits);
  return digits;
}

function e164Or(digits: string, fallback: string): string | undefined {
  const candidate = `+${digits}`;
  if (E164.test(candidate)) return candidate;
  return /\d/.test(fallback) ? fallback : undefined;
}

/** `sip:201@pbx.local`, `tel:+4930…` → the user part; PBX CDR exports sometimes carry URIs. */
function stripUri(s: string): string {
  const m = /^(?:sips?|tel):([^@;]*)/i.exec(s);
  return m ? (m[1] ?? '') : s;
}
