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
import { pressPcm } from './helpers/dtmf.ts';

const RATE = 8000;
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
