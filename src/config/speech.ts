import type { Config } from './schema.ts';

// The speech settings (issue 12, item 5). A phrase is spotted by its words, so the words
// must be plain ones a pronunciation dictionary can hold (PocketSphinx's keyword list takes
// lower-case words only); the id is what the log carries, so it must be a short name.
const ID = /^[a-z0-9][a-z0-9._-]{0,39}$/;
const TEXT = /^[A-Za-z][A-Za-z' ]{0,79}$/;

export function validateSpeech(c: Config, errors: string[]): void {
  const s = c.speech;
  if (s.engine !== null && !['pocketsphinx', 'sherpa-onnx'].includes(s.engine)) errors.push(`speech.engine: pocketsphinx, sherpa-onnx or null (got ${JSON.stringify(s.engine)})`);
  if (typeof s.windowSeconds !== 'number' || !Number.isFinite(s.windowSeconds) || s.windowSeconds < 1 || s.windowSeconds > 600) {
    errors.push(`speech.windowSeconds: must be a number from 1 to 600 (got ${JSON.stringify(s.windowSeconds)})`);
  }
  if (s.model !== null && (typeof s.model !== 'string' || !/^[0-9a-f]{64}$/.test(s.model))) {
    errors.push(`speech.model: the bundle hash tresor speech import-model printed (64 hex digits), or null (got ${JSON.stringify(s.model)})`);
  }
  if (!Array.isArray(s.phrases)) {
    errors.push('speech.phrases: a list of {"id":"agree-1","kind":"agree","text":"I agree to the recording"}');
    return;
  }
  const seen = new Set<string>();
  s.phrases.forEach((p, i) => {
    const o = p as Partial<Config['speech']['phrases'][number]> | null;
    if (!o || typeof o !== 'object') return void errors.push(`speech.phrases[${i}]: {"id","kind","text"}`);
    if (typeof o.id !== 'string' || !ID.test(o.id)) errors.push(`speech.phrases[${i}].id: lower-case letters, digits, . _ - (up to 40; got ${JSON.stringify(o.id)})`);
    else if (seen.has(o.id)) errors.push(`speech.phrases[${i}].id: "${o.id}" is used twice`);
    else seen.add(o.id);
    if (o.kind !== 'agree' && o.kind !== 'object') errors.push(`speech.phrases[${i}].kind: agree or object (got ${JSON.stringify(o.kind)})`);
    if (typeof o.text !== 'string' || !TEXT.test(o.text.trim())) errors.push(`speech.phrases[${i}].text: words of letters and apostrophes, up to 80 characters`);
    const extra = Object.keys(o).filter((k) => !['id', 'kind', 'text'].includes(k));
    if (extra.length) errors.push(`speech.phrases[${i}]: unknown field ${extra.join(', ')}`);
  });
}
