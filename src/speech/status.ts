// `tresor speech status`: what the site's speech analysis would do and why it would not
// (engine configured, model in use by hash, whether the engine can run here, the
// works-council switches). Read-only: opens nothing sealed and logs nothing.
import type { Config } from '../config/index.ts';
import type { IndexStore } from '../store/index.ts';
import { selectEngine } from './select.ts';
import { listModels } from './models.ts';
import { switchesOf, SWITCHES, type Switches } from './works-council.ts';

export interface SpeechStatus {
  engine: string | null;
  model: string | null;
  modelSha256: string | null;
  /** can the configured engine run on this box with this model */
  canRun: boolean;
  /** why not (null when it can, or when no engine is configured) */
  why: string | null;
  /** would a call ingested now be analysed: engine, phrases, runnable, switch on */
  analysing: boolean;
  phrases: { id: string; kind: string }[];
  windowSeconds: number;
  imported: { sha256: string; layout: string; files: number; bytes: number; importedAt: string }[];
  worksCouncil: Switches;
}

export async function speechStatus(config: Pick<Config, 'dataDir' | 'speech'>, store: Pick<IndexStore, 'meta'>): Promise<SpeechStatus> {
  const sel = selectEngine(config);
  const probe = (sel?.engine as { probe?: () => Promise<string | null> } | undefined)?.probe;
  // sherpa-onnx: the model is loaded once in a child process, since a bad one aborts the loader
  const why = !sel ? 'no engine configured (speech.engine is null)' : sel.engine.unavailable() ?? (probe ? await probe() : null);
  const wc = switchesOf(store);
  return {
    engine: config.speech.engine, model: sel?.model ?? null, modelSha256: sel && !why ? sel.modelSha256() : (config.speech.model ?? null),
    canRun: !!sel && !why, why,
    analysing: !!sel && !why && config.speech.phrases.length > 0 && wc.on['speech-analysis'],
    phrases: config.speech.phrases.map((p) => ({ id: p.id, kind: p.kind })), windowSeconds: config.speech.windowSeconds,
    imported: listModels(config.dataDir).map((m) => ({ sha256: m.sha256, layout: m.layout, files: m.files.length, bytes: m.bytes, importedAt: m.importedAt })),
    worksCouncil: wc,
  };
}

/** The text form, one fact a line. */
export function statusLines(s: SpeechStatus): string[] {
  const on = (b: boolean) => (b ? 'on' : 'off');
  return [
    `engine: ${s.engine ?? 'none'}`,
    `model: ${s.model ?? '-'}${s.modelSha256 ? ` (sha256 ${s.modelSha256})` : ''}`,
    `can run here: ${s.canRun ? 'yes' : `no — ${s.why}`}`,
    `phrases: ${s.phrases.map((p) => `${p.id} (${p.kind})`).join(', ') || 'none'}; window ${s.windowSeconds} s`,
    `analysing calls now: ${s.analysing ? 'yes' : 'no'}`,
    `works-council switches (§ 87(1) no. 6 BetrVG)${s.worksCouncil.locked ? ', locked' : ''}: ${SWITCHES.map((k) => `${k} ${on(s.worksCouncil.on[k])}`).join(', ')}`,
    ...(s.worksCouncil.updatedAt ? [`  last changed ${s.worksCouncil.updatedAt} by ${s.worksCouncil.updatedBy}`] : []),
    `imported models: ${s.imported.length ? '' : 'none'}`,
    ...s.imported.map((m) => `  ${m.sha256}  ${m.layout}  ${m.files} files  ${m.bytes} bytes  ${m.importedAt}`),
  ];
}
