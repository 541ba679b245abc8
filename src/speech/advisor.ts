// Speech analysis at ingest (issue 12, item 5), advisory: with `speech.engine` set and
// phrases configured, the engine spots them in the consent window and the result is
//  - one `speech.analysed` log entry: engine, model (and its hash), the matched phrase ids
//    with kind (agree/object), offset and confidence — ids only, never words or a transcript;
//  - advisory consent evidence (method `verbal`, source `speech:<engine>`), sealed with the
//    call's key like all evidence, which never decides the call's state: a DTMF key, a
//    CRM/IVR event or the sidecar's claim does (measured: PocketSphinx misses phrases on
//    telephone audio and has false alarms). Objections win over agreement.
// A call of a subject with an `analytics` objection (GDPR Art. 21) is not analysed, and
// nothing is analysed while the works-council switch `speech-analysis` is off (§ 87 Abs. 1
// Nr. 6 BetrVG; read per call, so switching it in the CLI acts on the running service).
import type { Config } from '../config/index.ts';
import type { ConsentEvidence } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import type { ConsentAdvisor } from '../consent/index.ts';
import type { SpeechEngine, SpeechFinding } from './engine.ts';
import { selectEngine } from './select.ts';
import { switchedOn } from './works-council.ts';

const RATE = 16_000;

/** The words as the engine matches them (engine.ts normalises the same way). */
const norm = (t: string) => t.toLowerCase().replace(/[^a-z' ]+/g, ' ').replace(/\s+/g, ' ').trim();

export interface Match {
  id: string;
  kind: 'agree' | 'object';
  offsetMs: number;
  confidence: number;
}

/** Findings back to the configured phrase ids; the verdict: any objection wins over agreement. */
export function verdictOf(findings: readonly SpeechFinding[], phrases: Config['speech']['phrases']): { matches: Match[]; verdict: 'agree' | 'object' | null } {
  const byText = new Map(phrases.map((p) => [norm(p.text), p]));
  const matches: Match[] = [];
  for (const f of findings) {
    const p = byText.get(norm(f.phrase));
    if (p) matches.push({ id: p.id, kind: p.kind, offsetMs: f.offsetMs, confidence: Number(f.confidence.toFixed(4)) });
  }
  const verdict = matches.some((m) => m.kind === 'object') ? 'object' : matches.length ? 'agree' : null;
  return { matches, verdict };
}

export function speechAdvisor(config: Config, store: Pick<IndexStore, 'objections' | 'meta'>, engine?: SpeechEngine): ConsentAdvisor | null {
  const s = config.speech;
  if (!s.engine || !s.phrases.length) return null;
  const sel = selectEngine(config)!;
  const eng = engine ?? sel.engine;
  const phrases = { agree: s.phrases.filter((p) => p.kind === 'agree').map((p) => p.text), object: s.phrases.filter((p) => p.kind === 'object').map((p) => p.text) };
  return {
    async analyse(call, now) {
      // off: no analysis and no entry per call (the switch's own entries say when it was off)
      if (!switchedOn(store, 'speech-analysis')) return { evidence: null, note: null };
      const base = { engine: eng.name, windowSeconds: s.windowSeconds };
      const subject = call.tokens.filter((t) => t.kind === 'phone' || t.kind === 'customer');
      if (subject.length && store.objections.objectsTo(subject, 'analytics')) {
        return { evidence: null, note: { action: 'speech.skipped', detail: { ...base, reason: 'analytics-objection' } } };
      }
      const why = eng.unavailable();
      if (why) return { evidence: null, note: { action: 'speech.skipped', detail: { ...base, reason: 'engine-unavailable', message: why } } };
      const model = { model: sel.model, modelSha256: sel.modelSha256() };
      let findings: SpeechFinding[];
      try {
        findings = await eng.analyse(await call.window(s.windowSeconds, RATE, { fromSource: true }), phrases);
      } catch (e) {
        // advisory: a failed analysis never stops the call from being archived; it is logged
        return { evidence: null, note: { action: 'speech.analysed', detail: { ...base, ...model, error: (e as { code?: string }).code ?? 'E_SPEECH', matches: [], verdict: null } } };
      }
      const { matches, verdict } = verdictOf(findings, s.phrases);
      const note = { action: 'speech.analysed', detail: { ...base, ...model, matches, verdict } };
      if (!verdict) return { evidence: null, note };
      const first = matches.find((m) => m.kind === verdict)!;
      const evidence: ConsentEvidence = {
        state: verdict === 'object' ? 'denied' : 'granted', method: 'verbal', at: new Date(call.start + first.offsetMs).toISOString(), offsetMs: first.offsetMs,
        promptVersion: null, source: `speech:${eng.name}`, evidence: { phrase: first.id, kind: verdict, confidence: first.confidence, matches, ...model },
        recordedAt: new Date(now).toISOString(), advisory: true,
      };
      return { evidence, note };
    },
  };
}
