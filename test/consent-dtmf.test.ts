// DTMF consent in the audio (issue 12, item 3): the Goertzel detector (src/media/dtmf.ts)
// on generated key presses with noise at 20 dB SNR, after G.711 µ-law coding through the
// real ffmpeg, decoded by media's consent-window run; speech alone gives no digit.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createMedia, resolveFfmpeg, sniffInput, detectDtmf, firstConsentDigit, type Media } from '../src/media/index.ts';
import { makeAudio, wavHeader } from './helpers/audio.ts';

const RATE = 8000;
const TONES: Record<string, [number, number]> = { '1': [697, 1209], '2': [697, 1336], '5': [770, 1336], '9': [852, 1477], '#': [941, 1477] };

/** PCM of key presses at the given offsets (s), 80 ms each at -10 dBFS per tone, with white noise at 20 dB SNR. */
export function pressPcm(seconds: number, presses: { digit: string; at: number; ms?: number }[], seed = 1): Buffer {
  const n = Math.round(seconds * RATE);
  const x = new Float64Array(n);
  const amp = 0.3 * 32767;
  for (const p of presses) {
    const [f1, f2] = TONES[p.digit]!;
    const start = Math.round(p.at * RATE);
    const len = Math.round(((p.ms ?? 80) / 1000) * RATE);
    for (let i = 0; i < len && start + i < n; i++) x[start + i]! += amp * (Math.sin((2 * Math.PI * f1 * i) / RATE) + Math.sin((2 * Math.PI * f2 * i) / RATE));
  }
  // noise power 20 dB under one tone pair's power (amp² per tone pair: 2 · amp²/2)
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const noiseRms = Math.sqrt(amp * amp / 100);
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const v = x[i]! + noiseRms * Math.sqrt(3) * rnd();
    out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v))), i * 2);
  }
  return out;
}

describe('detectDtmf (pure)', () => {
  it('detectDtmf_pressesInNoise_findsEachOnceWithItsOffset', () => {
    const pcm = pressPcm(4, [{ digit: '5', at: 0.5 }, { digit: '9', at: 1.3 }, { digit: '#', at: 2.2, ms: 45 }, { digit: '1', at: 3.1 }]);
    const d = detectDtmf(pcm, { sampleRate: RATE });
    assert.deepEqual(d.map((x) => x.digit), ['5', '9', '#', '1']);
    for (const [i, at] of [0.5, 1.3, 2.2, 3.1].entries()) assert.ok(Math.abs(d[i]!.offsetMs - at * 1000) <= 20, `offset of ${d[i]!.digit}: ${d[i]!.offsetMs}`);
  });

  it('detectDtmf_noiseOnly_findsNothing', () => {
    assert.deepEqual(detectDtmf(pressPcm(3, []), { sampleRate: RATE }), []);
  });

  it('firstConsentDigit_otherDigitsFirst_takesFirstGrantOrDeny', () => {
    const d = detectDtmf(pressPcm(3, [{ digit: '5', at: 0.2 }, { digit: '2', at: 1 }, { digit: '1', at: 2 }]), { sampleRate: RATE });
    const c = firstConsentDigit(d, '1', '2');
    assert.equal(c?.digit, '2');
    assert.equal(c?.state, 'denied');
  });
});

describe('DTMF through G.711 and ffmpeg', () => {
  let media: Media;
  let dir: string;
  before(async () => {
    media = createMedia(await resolveFfmpeg(null), { timeoutMs: 60_000, stallMs: 20_000 });
    dir = mkdtempSync(join(tmpdir(), 'tresor-dtmf-'));
  });

  const window = async (file: string, seconds = 60) => {
    const bytes = readFileSync(file);
    return media.decodeWindow(bytes, sniffInput(bytes.subarray(0, 4096), file), { seconds, sampleRate: RATE });
  };

  it('decodeWindow_mulawWavWithPress_detectsDigitAtOffset', async () => {
    const pcm = pressPcm(6, [{ digit: '1', at: 3.4 }], 3);
    const lin = join(dir, 'press.wav');
    writeFileSync(lin, Buffer.concat([wavHeader({ sampleRate: RATE, channels: 1, bitsPerSample: 16, dataBytes: pcm.length }), pcm]));
    const ulaw = join(dir, 'press-ulaw.wav');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', lin, '-c:a', 'pcm_mulaw', ulaw]);
    const d = detectDtmf(await window(ulaw), { sampleRate: RATE });
    assert.equal(d.length, 1);
    assert.equal(d[0]!.digit, '1');
    assert.ok(Math.abs(d[0]!.offsetMs - 3400) <= 20, String(d[0]!.offsetMs));
  });

  it('decodeWindow_pressAfterWindow_isNotSeen', async () => {
    const pcm = pressPcm(6, [{ digit: '2', at: 4 }], 4);
    const lin = join(dir, 'late.wav');
    writeFileSync(lin, Buffer.concat([wavHeader({ sampleRate: RATE, channels: 1, bitsPerSample: 16, dataBytes: pcm.length }), pcm]));
    const w = await window(lin, 3);
    assert.ok(w.length <= 3 * RATE * 2 + 64, `window is ${w.length} bytes`);
    assert.deepEqual(detectDtmf(w, { sampleRate: RATE }), []);
  });

  it('decodeWindow_speechOnly_noFalseDigit', async (t) => {
    try {
      execFileSync('espeak-ng', ['--version']);
    } catch {
      return t.skip('espeak-ng is not installed');
    }
    const f = await makeAudio(dir, 'speech-ulaw', { format: 'wav-ulaw', seconds: 20, source: 'speech' });
    assert.deepEqual(detectDtmf(await window(f), { sampleRate: RATE }), []);
  });
});
