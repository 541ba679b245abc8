// Advisory keyword spotting (issue 12, item 5) with the Debian PocketSphinx model on
// espeak-ng speech, decoded to 16 kHz by ffmpeg: a consent phrase is found, a call
// without it gives no agreement; skipped with the reason when a tool is missing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pocketsphinxEngine, sherpaEngine, negationAware } from '../src/speech/index.ts';

function speech(text: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-speech-'));
  const wav = join(dir, 's.wav');
  execFileSync('espeak-ng', ['-w', wav, text]);
  return execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', wav, '-ar', '16000', '-ac', '1', '-f', 's16le', 'pipe:1'], { maxBuffer: 64 << 20 });
}

describe('speech: keyword spotting (advisory)', () => {
  const engine = pocketsphinxEngine();
  const missing = engine.unavailable() ?? (() => { try { execFileSync('espeak-ng', ['--version']); return null; } catch { return 'espeak-ng is not installed'; } })();
  const phrases = { agree: ['i agree'], object: ['do not record'] };

  it('finds "I agree" in generated speech, with offset and confidence', { skip: missing ?? false }, async () => {
    const f = await engine.analyse(speech('Hello. Yes, I agree to the recording. Thank you.'), phrases);
    const hit = f.find((x) => x.kind === 'agree');
    assert.ok(hit, JSON.stringify(f));
    assert.ok(hit.offsetMs > 0 && hit.confidence > 0 && hit.confidence <= 1);
    assert.equal(hit.engine, 'pocketsphinx');
  });

  it('a call without the phrase gives no agreement', { skip: missing ?? false }, async () => {
    const f = await engine.analyse(speech('Good morning, I would like to change my delivery address please.'), phrases);
    assert.deepEqual(f.filter((x) => x.kind === 'agree'), []);
  });

  it('negationAware: an objection next to an agreement wins', () => {
    const base = { engine: 'x', model: 'm', confidence: 0.5 };
    const f = negationAware([{ ...base, kind: 'agree', phrase: 'agree', offsetMs: 1200 }, { ...base, kind: 'object', phrase: 'do not agree', offsetMs: 1000 }]);
    assert.deepEqual(f.map((x) => x.kind), ['object']);
  });

  it('sherpa-onnx: says why it cannot run without an imported model', () => {
    assert.match(sherpaEngine('/nowhere', null).unavailable()!, /no model bundle imported: none is on this machine/);
  });
});
