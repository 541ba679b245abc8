// The sherpa-onnx keyword-spotter backend (issue 12, item 5): German and other languages
// the Debian PocketSphinx model cannot do. The runtime is the npm package
// `sherpa-onnx-node` (an optional dependency: its prebuilt addon comes from the registry
// as the platform package sherpa-onnx-linux-x64, no install script, nothing fetched at
// run time); it is loaded when the backend is first asked, so a box without it still
// starts and `tresor speech status` says why the engine cannot run. The model is a
// bundle the site imported (models.ts), named by its hash; never downloaded.
//
// The bundle must carry `keywords.txt`: the phrases tokenised for this model's units
// (sherpa-onnx-cli text2token, from the model's own docs), each line ending `@<phrase>`
// with the configured phrase's words joined by "_" — the spotter reports that name,
// which maps back to the configured phrase (its id goes to the log, never the words).
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkModel } from './models.ts';
import { probeSherpaKws } from '../media/index.ts';
import { negationAware, type Phrases, type SpeechEngine, type SpeechFinding } from './engine.ts';

const RATE = 16_000;

interface KwsStream {
  acceptWaveform(o: { samples: Float32Array; sampleRate: number }): void;
  inputFinished?(): void;
}
interface Kws {
  createStream(): KwsStream;
  isReady(s: KwsStream): boolean;
  decode(s: KwsStream): void;
  reset(s: KwsStream): void;
  getResult(s: KwsStream): { keyword: string; start_time?: number; timestamps?: number[] };
}
interface SherpaModule {
  KeywordSpotter: new (config: Record<string, unknown>) => Kws;
  version?: string;
}

let loaded: { mod: SherpaModule; path: string } | { error: string } | null = null;
/** The runtime, loaded once; null with the reason when it is not installed here. */
export function sherpaRuntime(): { mod: SherpaModule; path: string } | { error: string } {
  if (loaded) return loaded;
  try {
    const req = createRequire(import.meta.url);
    const path = req.resolve('sherpa-onnx-node');
    const mod = req(path) as SherpaModule;
    loaded = typeof mod.KeywordSpotter === 'function' ? { mod, path } : { error: 'sherpa-onnx-node has no KeywordSpotter (too old a version)' };
  } catch (e) {
    loaded = { error: `the sherpa-onnx runtime is not installed (npm optional dependency sherpa-onnx-node: ${(e as Error).message.split('\n')[0]})` };
  }
  return loaded;
}

const onnx = (dir: string, prefix: string) => readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.onnx')).sort()[0];

/** words → the name a keywords.txt line gives after "@" */
export const keywordName = (phrase: string) => phrase.toLowerCase().replace(/[^a-z0-9äöüß' ]+/g, ' ').trim().replace(/\s+/g, '_');

export function sherpaEngine(dataDir: string, modelSha256: string | null): SpeechEngine & { probe(): Promise<string | null> } {
  let why: string | null | undefined;
  let dir = '';
  let probed: Promise<string | null> | null = null;
  const configOf = () => ({
    featConfig: { sampleRate: RATE, featureDim: 80 },
    modelConfig: {
      transducer: { encoder: join(dir, onnx(dir, 'encoder')!), decoder: join(dir, onnx(dir, 'decoder')!), joiner: join(dir, onnx(dir, 'joiner')!) },
      tokens: join(dir, 'tokens.txt'), numThreads: 1, provider: 'cpu', debug: 0,
    },
    keywordsFile: join(dir, 'keywords.txt'),
  });
  /** loads the model once in a child process first: onnxruntime aborts the process on a bad model rather than throw */
  function probe(): Promise<string | null> {
    const no = unavailable();
    if (no) return Promise.resolve(no);
    probed ??= probeSherpaKws((sherpaRuntime() as { path: string }).path, configOf()).then(
      () => null,
      (e: Error) => `the model does not load in sherpa-onnx (tried in a separate process): ${e.message}`,
    );
    return probed;
  }
  function unavailable(): string | null {
    if (why !== undefined) return why;
    if (!modelSha256) return (why = 'no model bundle imported: none is on this machine (tresor speech import-model DIR, then speech.model = its hash)');
    const c = checkModel(dataDir, modelSha256);
    if (c.problem) return (why = c.problem);
    if (c.layout !== 'sherpa-onnx-kws') return (why = `model ${modelSha256.slice(0, 16)}… is a ${c.layout} model, not a sherpa-onnx keyword spotter`);
    if (!existsSync(join(c.dir, 'keywords.txt'))) return (why = 'the model bundle has no keywords.txt (the phrases tokenised for this model, each line ending @<phrase_words>)');
    const rt = sherpaRuntime();
    if ('error' in rt) return (why = rt.error);
    dir = c.dir;
    return (why = null);
  }
  let spotter: Kws | null = null;
  return {
    name: 'sherpa-onnx',
    unavailable,
    probe,
    async analyse(pcm: Buffer, phrases: Phrases): Promise<SpeechFinding[]> {
      const no = await probe();
      if (no) throw Object.assign(new Error(no), { code: 'E_SPEECH_MODEL' });
      const rt = sherpaRuntime() as { mod: SherpaModule };
      const kws = (spotter ??= new rt.mod.KeywordSpotter(configOf()));
      const samples = new Float32Array(pcm.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(i * 2) / 32768;
      const stream = kws.createStream();
      stream.acceptWaveform({ samples, sampleRate: RATE });
      // tail padding so the last word is decoded (as the sherpa-onnx examples do)
      stream.acceptWaveform({ samples: new Float32Array(RATE / 2), sampleRate: RATE });
      stream.inputFinished?.();
      const kinds = new Map<string, { kind: 'agree' | 'object'; phrase: string }>();
      for (const p of phrases.agree) kinds.set(keywordName(p), { kind: 'agree', phrase: p });
      for (const p of phrases.object) kinds.set(keywordName(p), { kind: 'object', phrase: p });
      const out: SpeechFinding[] = [];
      while (kws.isReady(stream)) {
        kws.decode(stream);
        const r = kws.getResult(stream);
        if (!r.keyword) continue;
        const k = kinds.get(keywordName(r.keyword));
        // the spotter gives no posterior per keyword; its threshold (keywords.txt #) passed
        if (k) out.push({ kind: k.kind, phrase: k.phrase, offsetMs: Math.round((r.start_time ?? 0) * 1000), confidence: 1, engine: 'sherpa-onnx', model: modelSha256! });
        kws.reset(stream);
      }
      return negationAware(out);
    },
  };
}
