// Advisory speech analysis (issue 12, item 5): an engine interface and its backends.
// Findings are advisory: they never change a call's consent state; a dpo confirms or
// dismisses them (measured: PocketSphinx misses phrases on G.711 audio and has false
// alarms). The sherpa-onnx backend (sherpa.ts) takes a model bundle the site imports.
import { pocketsphinxAvailable, spotKeywords } from '../media/index.ts';

export type FindingKind = 'agree' | 'object';

export interface SpeechFinding {
  kind: FindingKind;
  /** personal (words spoken): kept sealed with the call's key, never logged */
  phrase: string;
  offsetMs: number;
  confidence: number;
  engine: string;
  model: string;
}

export interface Phrases {
  agree: string[];
  object: string[];
}

export interface SpeechEngine {
  readonly name: string;
  /** null when it can run here, else why not */
  unavailable(): string | null;
  /** 16 kHz s16le mono PCM of the consent window in, findings out (objections first) */
  analyse(pcm16k: Buffer, phrases: Phrases): Promise<SpeechFinding[]>;
}

/** Objection patterns win over agreement ("I do not agree" holds "agree"): an agree hit inside an object hit is dropped. */
export function negationAware(f: SpeechFinding[]): SpeechFinding[] {
  const objections = f.filter((x) => x.kind === 'object');
  const agree = f.filter((x) => x.kind === 'agree' && !objections.some((o) => Math.abs(o.offsetMs - x.offsetMs) < 2000));
  return [...objections, ...agree].sort((a, b) => a.offsetMs - b.offsetMs);
}

/**
 * The keyword threshold by phrase length: one word needs a strict one (CMU Sphinx docs:
 * 1e-3 for short words), longer phrases a looser one. Measured on espeak-ng speech (issue
 * 12): "i do not agree" is found at 1e-20 and missed at 1e-10; a neutral sentence gave no
 * hit at 1e-20 (it gave "i agree" at 1e-30); "i agree to the recording" and "do not
 * record" were not found at any threshold down to 1e-40.
 */
export function thresholdOf(phrase: string): number {
  const words = phrase.trim().split(/\s+/).length;
  return words === 1 ? 1e-3 : words === 2 ? 1e-10 : 1e-20;
}

/** PocketSphinx with the Debian en-us model, or with an imported bundle's acoustic model and dictionary (`model`). */
export function pocketsphinxEngine(model?: { hmm: string; dict: string; problem?: string | null }): SpeechEngine {
  return {
    name: 'pocketsphinx',
    unavailable: () => model?.problem ?? (pocketsphinxAvailable(model) ? null : model ? 'pocketsphinx_continuous is not installed (Debian: pocketsphinx)' : 'pocketsphinx_continuous or the en-us model is not installed (Debian: pocketsphinx, pocketsphinx-en-us)'),
    async analyse(pcm, phrases) {
      const list = [...phrases.agree.map((p) => ({ p, kind: 'agree' as const })), ...phrases.object.map((p) => ({ p, kind: 'object' as const }))];
      const hits = await spotKeywords(pcm, list.map(({ p }) => ({ phrase: p, threshold: thresholdOf(p) })), 60_000, model);
      const kindOf = new Map(list.map(({ p, kind }) => [p.toLowerCase().replace(/[^a-z' ]+/g, ' ').trim(), kind]));
      return negationAware(hits.map((h) => ({ kind: kindOf.get(h.phrase) ?? 'agree', phrase: h.phrase, offsetMs: h.startMs, confidence: h.confidence, engine: 'pocketsphinx', model: 'en-us (Debian pocketsphinx-en-us)' })));
    },
  };
}
