// Reviewing advisory speech findings (issue 12, item 5). The detector is unreliable
// (measured: PocketSphinx misses phrases on G.711 audio and has false alarms), so a
// finding is only a flag: a dpo or supervisor listens and confirms or dismisses it. Only
// a confirmation becomes consent evidence — method `verbal`, source `speech-review`, who
// confirmed — sealed with the call's key like all evidence, and, being decisive, the
// call's state follows it as it follows any later evidence (src/consent/evidence.ts
// stateOf). Log entries `speech.finding.confirmed` / `speech.finding.dismissed` carry ids
// (recording, finding, phrase id, evidence hash), never words.
import { TresorError } from '../core/errors.ts';
import type { ConsentEvidence, LogWriter } from '../core/types.ts';
import type { IndexStore, RecordingRow, SpeechReview } from '../store/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { can, type Principal } from '../auth/index.ts';
import { openEvidence, recordedEntry, sealEvidence } from '../consent/index.ts';
import type { Match } from './advisor.ts';

export interface Finding {
  /** `<first 16 hex of the advisory evidence's hash>.<match index>`: stable, names no words */
  id: string;
  /** the configured phrase id (speech.phrases) and its words when the config still has it */
  phrase: string;
  text: string | null;
  kind: 'agree' | 'object';
  offsetMs: number;
  confidence: number;
  engine: string;
  modelSha256: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  decidedBy: string | null;
  decidedAt: string | null;
}

interface AdvisoryDetail {
  matches?: Match[];
  modelSha256?: string | null;
}

/** The findings of one call from its evidence (sealed list and the same list opened, in order) and its reviews. */
export function findingsOf(row: Pick<RecordingRow, 'consentEvidence' | 'speechReviews'>, opened: readonly ConsentEvidence[], phrases: readonly { id: string; text: string }[] = []): Finding[] {
  const out: Finding[] = [];
  const sealed = row.consentEvidence ?? [];
  const reviews = new Map((row.speechReviews ?? []).map((r) => [r.finding, r]));
  const textOf = new Map(phrases.map((p) => [p.id, p.text]));
  opened.forEach((e, i) => {
    if (!e.advisory || e.method !== 'verbal' || !sealed[i]) return;
    const d = (e.evidence ?? {}) as AdvisoryDetail;
    const engine = e.source?.replace(/^speech:/, '') ?? 'unknown';
    (d.matches ?? []).forEach((m, j) => {
      const id = `${sealed[i]!.sha256.slice(0, 16)}.${j}`;
      const r = reviews.get(id);
      out.push({
        id, phrase: m.id, text: textOf.get(m.id) ?? null, kind: m.kind, offsetMs: m.offsetMs, confidence: m.confidence, engine, modelSha256: d.modelSha256 ?? null,
        status: r?.decision ?? 'open', decidedBy: r?.by ?? null, decidedAt: r ? new Date(r.at).toISOString() : null,
      });
    });
  });
  return out.sort((a, b) => a.offsetMs - b.offsetMs);
}

export interface ReviewDeps {
  store: IndexStore;
  keys: Pick<Keyring, 'openRecording' | 'sealFor'>;
  log: LogWriter;
  phrases?: readonly { id: string; text: string }[];
}

export interface ReviewOutcome {
  finding: Finding;
  /** the hash of the evidence a confirmation sealed (its consent.recorded entry names it) */
  evidenceSha256: string | null;
  /** a confirmed objection: the dpo may open an objection request for the caller (Art. 21 GDPR) */
  offerObjection: boolean;
}

async function refuse(log: LogWriter, p: Principal, id: string): Promise<never> {
  await log.append([{ actor: p.actor, action: 'access.denied', target: `recording:${id}`, detail: { needs: 'speech.review' } }]);
  throw new TresorError('E_FORBIDDEN', `${p.actor} may not review speech findings (needs speech.review: dpo or supervisor)`);
}

/**
 * The findings of a call for a reviewer. The sealed evidence is opened for a principal
 * with speech.review only, and the access is logged (`speech.findings.viewed`) first.
 */
export async function listFindings(d: ReviewDeps, p: Principal, id: string): Promise<Finding[]> {
  if (!can(p.roles, 'speech.review')) await refuse(d.log, p, id);
  const row = d.store.recordings.get(id);
  if (!row) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
  if (!row.consentEvidence?.some((s) => s.advisory)) return [];
  await d.log.append([{ actor: p.actor, action: 'speech.findings.viewed', target: `recording:${id}`, detail: {} }]);
  return findingsOf(row, openEvidence(d.keys.openRecording(id), row.consentEvidence), d.phrases);
}

/**
 * Confirms or dismisses one finding, once: a second decision on the same finding is
 * E_CONFLICT (two reviewers at once: the transaction re-reads the row, one wins). The
 * evidence is opened before the transaction (sealing needs it; nothing leaves this function
 * unless the commit that logs the decision succeeds).
 */
export async function reviewFinding(d: ReviewDeps, p: Principal, id: string, findingId: string, decision: 'confirmed' | 'dismissed', now = Date.now()): Promise<ReviewOutcome> {
  if (!can(p.roles, 'speech.review')) await refuse(d.log, p, id);
  if (!/^[0-9a-f]{16}\.\d{1,3}$/.test(findingId)) throw new TresorError('E_NOT_FOUND', `no finding ${findingId}`);
  const row = d.store.recordings.get(id);
  if (!row) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
  const opened = openEvidence(d.keys.openRecording(id), row.consentEvidence);
  const f = findingsOf(row, opened, d.phrases).find((x) => x.id === findingId);
  if (!f) throw new TresorError('E_NOT_FOUND', `recording ${id} has no speech finding ${findingId}`);
  if (f.status !== 'open') throw new TresorError('E_CONFLICT', `finding ${findingId} was ${f.status} already (by ${f.decidedBy})`, { detail: { reason: 'decided' } });
  const start = row.start;
  const ev: ConsentEvidence | null = decision === 'confirmed'
    ? {
        state: f.kind === 'object' ? 'denied' : 'granted', method: 'verbal', at: new Date(start + f.offsetMs).toISOString(), offsetMs: f.offsetMs, promptVersion: null,
        source: 'speech-review',
        evidence: { finding: f.id, phrase: f.phrase, kind: f.kind, confidence: f.confidence, engine: f.engine, modelSha256: f.modelSha256, confirmedBy: p.actor },
        recordedAt: new Date(now).toISOString(),
      }
    : null;
  const sealed = ev ? sealEvidence(d.keys.sealFor(id), ev) : null;
  await d.store.tx(() => {
    const cur = d.store.recordings.get(id);
    if (!cur) throw new TresorError('E_NOT_FOUND', `recording ${id} went away`);
    if ((cur.speechReviews ?? []).some((r) => r.finding === findingId)) throw new TresorError('E_CONFLICT', `finding ${findingId} was decided meanwhile`, { detail: { reason: 'decided' } });
    const review: SpeechReview = { finding: findingId, decision, by: p.actor, at: now };
    const next: RecordingRow = { ...cur, speechReviews: [...(cur.speechReviews ?? []), review] };
    const detail = { finding: findingId, phrase: f.phrase, kind: f.kind, engine: f.engine, modelSha256: f.modelSha256 };
    if (sealed) {
      next.consentEvidence = [...(cur.consentEvidence ?? []), sealed];
      next.consentState = sealed.state;
      d.store.recordings.put(next);
      d.log.appendSync([
        { actor: p.actor, action: 'speech.finding.confirmed', target: `recording:${id}`, detail: { ...detail, evidenceSha256: sealed.sha256 } },
        recordedEntry(p.actor, id, sealed, { review: findingId }),
      ]);
    } else {
      d.store.recordings.put(next);
      d.log.appendSync([{ actor: p.actor, action: 'speech.finding.dismissed', target: `recording:${id}`, detail }]);
    }
  });
  return {
    finding: { ...f, status: decision, decidedBy: p.actor, decidedAt: new Date(now).toISOString() },
    evidenceSha256: sealed?.sha256 ?? null,
    offerObjection: decision === 'confirmed' && f.kind === 'object',
  };
}

/** What the web layer gets (it never holds the keyring, DESIGN §2): the two operations, closed over the keys. */
export interface SpeechReviewOps {
  list(p: Principal, id: string): Promise<Finding[]>;
  review(p: Principal, id: string, finding: string, decision: 'confirmed' | 'dismissed'): Promise<ReviewOutcome>;
}

export function speechReviewOps(d: ReviewDeps): SpeechReviewOps {
  return { list: (p, id) => listFindings(d, p, id), review: (p, id, f, decision) => reviewFinding(d, p, id, f, decision) };
}
