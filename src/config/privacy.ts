import type { Config } from './schema.ts';

// The transparency settings (issue 11 item 8). They are printed on a public page and read
// out by the IVR, so what is set must be usable as it stands: a contact that is not an
// address, or a line too long to read out, is an error at start, not a surprise on the page.

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const MAX_LINE = 300;

function line(v: unknown, name: string, errors: string[], max = MAX_LINE): void {
  if (typeof v !== 'string') errors.push(`${name}: must be text`);
  else if (v.length > max) errors.push(`${name}: at most ${max} characters (got ${v.length})`);
  else if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) errors.push(`${name}: control characters are not allowed`);
}

function email(v: unknown, name: string, errors: string[]): void {
  line(v, name, errors);
  if (typeof v === 'string' && v !== '' && !EMAIL.test(v)) errors.push(`${name}: not an e-mail address (got ${JSON.stringify(v)}; e.g. "datenschutz@example.de")`);
}

export function validatePrivacy(c: Config, errors: string[]): void {
  const p = c.privacy;
  line(p.controller.name, 'privacy.controller.name', errors);
  line(p.controller.address, 'privacy.controller.address', errors, 600);
  email(p.controller.email, 'privacy.controller.email', errors);
  line(p.dpo.name, 'privacy.dpo.name', errors);
  email(p.dpo.email, 'privacy.dpo.email', errors);
  if (!Number.isSafeInteger(p.maxErasureCalls) || p.maxErasureCalls < 1) errors.push(`privacy.maxErasureCalls: a whole number of calls, at least 1 (got ${JSON.stringify(p.maxErasureCalls)})`);
  if (!Number.isSafeInteger(p.closedRequestYears) || p.closedRequestYears < 1 || p.closedRequestYears > 30) errors.push(`privacy.closedRequestYears: whole years a closed request is kept before it is crypto-shredded, 1 to 30 (got ${JSON.stringify(p.closedRequestYears)})`);
  if (typeof p.packageAgentNames !== 'boolean') errors.push(`privacy.packageAgentNames: true or false (got ${JSON.stringify(p.packageAgentNames)})`);
  if (!Array.isArray(p.purposes)) errors.push('privacy.purposes: a list of texts, e.g. ["quality assurance", "evidence of orders"]');
  else p.purposes.forEach((x, i) => {
    line(x, `privacy.purposes[${i}]`, errors);
    if (typeof x === 'string' && !x.trim()) errors.push(`privacy.purposes[${i}]: must not be empty`);
  });
}
