// Consent evidence (issue 12, item 1): each record sealed with the recording's own data
// key, so the crypto-shred that erases the call erases its evidence too; the log entry
// `consent.recorded` names method, state and the SHA-256 of the sealed bytes (no personal
// data), which ties the evidence to the tamper-evident log: a sealed record swapped later
// no longer matches its entry.
import { createHash } from 'node:crypto';
import { TresorError } from '../core/errors.ts';
import { CONSENT_METHODS, type Consent, type ConsentEvidence, type ConsentMethod, type ConsentState, type NewLogEntry } from '../core/types.ts';
import type { SealedConsent } from '../store/index.ts';

export function sealEvidence(sealer: { seal(plain: Uint8Array): Buffer }, ev: ConsentEvidence): SealedConsent {
  const sealed = sealer.seal(Buffer.from(JSON.stringify(ev)));
  return { method: ev.method, state: ev.state, sha256: createHash('sha256').update(sealed).digest('hex'), sealed: new Uint8Array(sealed) };
}

export function openEvidence(opener: { open(sealed: Uint8Array): Buffer }, list: readonly SealedConsent[] | undefined): ConsentEvidence[] {
  return (list ?? []).map((s) => JSON.parse(opener.open(s.sealed).toString('utf8')) as ConsentEvidence);
}

export function recordedEntry(actor: string, id: string, s: SealedConsent, extra: Record<string, unknown> = {}): NewLogEntry {
  return { actor, action: 'consent.recorded', target: `recording:${id}`, detail: { method: s.method, state: s.state, evidenceSha256: s.sha256, ...extra } };
}

/**
 * The call's consent state from its evidence: the latest record decides (a withdrawal
 * after a grant is a denial), and with none the sidecar's claim as before.
 */
export function stateOf(list: readonly { state: ConsentState; advisory?: true }[], fallback: ConsentState): ConsentState {
  // advisory findings (speech analysis) are shown, never the state: measured unreliable (issue 12, item 5)
  const decisive = list.filter((e) => !e.advisory);
  return decisive.length ? decisive[decisive.length - 1]!.state : fallback;
}

/** What a sidecar's `consent` says, as evidence with method `sidecar` (the PBX's claim). */
export function fromSidecar(c: Consent, extra: unknown, now: number): ConsentEvidence {
  const more = (extra && typeof extra === 'object' ? extra : {}) as Record<string, unknown>;
  return {
    state: c.state, method: 'sidecar', at: c.at ?? null, offsetMs: null,
    promptVersion: typeof more.promptVersion === 'string' ? more.promptVersion : null,
    source: typeof more.source === 'string' ? more.source : 'sidecar',
    evidence: { ...(c.method ? { method: c.method } : {}), ...(c.evidence !== undefined ? { text: c.evidence } : {}) },
    recordedAt: new Date(now).toISOString(),
  };
}

export function fromDtmf(d: { digit: string; offsetMs: number; durationMs: number; state: 'granted' | 'denied' }, start: number, now: number): ConsentEvidence {
  return {
    state: d.state, method: 'dtmf', at: new Date(start + d.offsetMs).toISOString(), offsetMs: d.offsetMs, promptVersion: null,
    source: 'tresor:dtmf', evidence: { digit: d.digit, offsetMs: d.offsetMs, durationMs: d.durationMs }, recordedAt: new Date(now).toISOString(),
  };
}

const STATES: readonly ConsentState[] = ['granted', 'denied', 'unknown'];
const SHORT = /^[\x20-\x7e\u00a0-\uffff]{1,256}$/;

/** A consent event as POST /api/consent takes it; checked field by field, values never echoed. */
export interface ConsentEvent {
  callId: string;
  state: ConsentState;
  method: ConsentMethod;
  at: string | null;
  promptVersion: string | null;
  source: string | null;
  evidence: unknown;
}

export function parseEvent(b: Record<string, unknown>): ConsentEvent {
  const known = ['callId', 'state', 'method', 'at', 'promptVersion', 'source', 'evidence'];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  const errors: string[] = [];
  if (unknown.length) errors.push(`unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
  const str = (k: string, required: boolean): string | null => {
    const v = b[k];
    if (v === undefined || v === null) {
      if (required) errors.push(`${k}: required`);
      return null;
    }
    if (typeof v !== 'string' || !SHORT.test(v)) {
      errors.push(`${k}: a string of 1-256 printable characters`);
      return null;
    }
    return v;
  };
  const callId = str('callId', true);
  const state = str('state', true);
  const method = str('method', true);
  const at = str('at', false);
  if (state && !STATES.includes(state as ConsentState)) errors.push(`state: one of ${STATES.join(', ')}`);
  if (method && (!(CONSENT_METHODS as readonly string[]).includes(method) || method === 'sidecar')) errors.push(`method: one of ${CONSENT_METHODS.filter((m) => m !== 'sidecar').join(', ')}`);
  if (at && Number.isNaN(Date.parse(at))) errors.push('at: an RFC 3339 time');
  if (b.evidence !== undefined && JSON.stringify(b.evidence).length > 4096) errors.push('evidence: at most 4096 bytes of JSON');
  const promptVersion = str('promptVersion', false);
  const source = str('source', false);
  if (errors.length) throw new TresorError('E_INVALID', `consent event: ${errors.join('; ')}`);
  return {
    callId: callId!, state: state as ConsentState, method: method as ConsentMethod, at: at ? new Date(Date.parse(at)).toISOString() : null,
    promptVersion, source, evidence: b.evidence ?? null,
  };
}

export function fromEvent(e: ConsentEvent, now: number): ConsentEvidence {
  return { state: e.state, method: e.method, at: e.at, offsetMs: null, promptVersion: e.promptVersion, source: e.source, evidence: e.evidence, recordedAt: new Date(now).toISOString() };
}
