// Which engine and which model this site's config names (speech.engine, speech.model):
// the one place the advisor at ingest and `tresor speech status` agree on.
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Config } from '../config/index.ts';
import { pocketsphinxEngine, type SpeechEngine } from './engine.ts';
import { checkModel } from './models.ts';
import { sherpaEngine } from './sherpa.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EN_US_MODEL } from '../media/index.ts';


let enUsHash: string | null = null;
/** SHA-256 over the Debian en-us model's files (name and bytes, sorted): which model spoke, provably. */
export function pocketsphinxModelHash(): string {
  if (enUsHash) return enUsHash;
  const h = createHash('sha256');
  for (const name of readdirSync(EN_US_MODEL.hmm).sort()) h.update(`${name}\n`).update(readFileSync(join(EN_US_MODEL.hmm, name)));
  h.update('dict\n').update(readFileSync(EN_US_MODEL.dict));
  return (enUsHash = h.digest('hex'));
}

export const DEBIAN_EN_US = 'en-us (Debian pocketsphinx-en-us)';

export interface Selected {
  engine: SpeechEngine;
  /** a name for people: the Debian model, or "imported" */
  model: string;
  /** the bundle hash the findings carry (computed when first asked: the Debian model is ~30 MB); null when the model cannot be found */
  modelSha256(): string | null;
}

/** The acoustic model folder (where mdef is) and the dictionary of an imported PocketSphinx bundle. */
function pocketsphinxFiles(dir: string): { hmm: string; dict: string } | null {
  const names: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : names.push(relative(dir, join(d, e.name)).split(sep).join('/'));
  };
  walk(dir);
  const mdef = names.find((n) => n.split('/').pop() === 'mdef');
  const dict = names.filter((n) => n.endsWith('.dict')).sort()[0];
  return mdef && dict ? { hmm: dirname(join(dir, mdef)), dict: join(dir, dict) } : null;
}

export function selectEngine(config: Pick<Config, 'dataDir' | 'speech'>): Selected | null {
  const s = config.speech;
  if (!s.engine) return null;
  if (s.engine === 'sherpa-onnx') return { engine: sherpaEngine(config.dataDir, s.model), model: s.model ? 'imported' : 'none', modelSha256: () => s.model };
  if (!s.model) {
    const engine = pocketsphinxEngine();
    return { engine, model: DEBIAN_EN_US, modelSha256: () => (engine.unavailable() ? null : pocketsphinxModelHash()) };
  }
  const c = checkModel(config.dataDir, s.model);
  const files = !c.problem && c.layout === 'pocketsphinx' ? pocketsphinxFiles(c.dir) : null;
  const problem = c.problem ?? (c.layout !== 'pocketsphinx' ? `model ${s.model.slice(0, 16)}… is a ${c.layout} model, not a PocketSphinx one` : files ? null : 'the PocketSphinx bundle has no mdef or .dict');
  return { engine: pocketsphinxEngine({ hmm: files?.hmm ?? '/nonexistent', dict: files?.dict ?? '/nonexistent', problem }), model: 'imported', modelSha256: () => s.model };
}
