// Reading ffmpeg's stderr: source stream facts, progress, and a tail with no personal data.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createStderrParser, decoderWarnings, failureReason, parseChannels } from '../src/media/stderr.ts';

// what ffmpeg 5.1 prints for an MP3 with ID3 tags, transcoded with -progress pipe:2
const SAMPLE = `Input #0, mp3, from 'pipe:0':
  Metadata:
    title           : Call from +49 30 1234567 to Anna Schmidt
  Duration: N/A, start: 0.138125, bitrate: 16 kb/s
  Stream #0:0: Audio: mp3, 8000 Hz, mono, fltp, 16 kb/s
    Metadata:
      comment         : agent anna.schmidt
Stream mapping:
  Stream #0:0 -> #0:0 (mp3 (mp3float) -> opus (libopus))
Output #0, ogg, to 'pipe:1':
  Stream #0:0: Audio: opus, 48000 Hz, stereo, s16, 16 kb/s
bitrate=   2.2kbits/s
total_size=137
out_time_us=493500
out_time=00:00:00.493500
progress=continue
[mp3float @ 0x55d0c2a1c0] Header missing
size=       6kB time=00:00:03.01 bitrate=  17.1kbits/s speed=69.8x
total_size=6455
out_time_us=3013500
progress=end
`;

describe('stderr parser', () => {
  it('parser_inputStreamLine_givesSourceCodecRateChannels', () => {
    const p = createStderrParser();
    p.push(SAMPLE);
    assert.deepEqual(p.state.source, { codec: 'mp3', sampleRate: 8000, channels: 1 });
    assert.equal(p.state.outTimeUs, 3013500);
    assert.equal(p.state.ended, true);
  });

  it('parser_tagsInHeader_neverKept', () => {
    const p = createStderrParser();
    p.push(SAMPLE);
    const all = p.state.lines.join('\n');
    assert.doesNotMatch(all, /\+49|Anna|anna/);
    assert.match(all, /Header missing/);
    assert.match(all, /Stream #0:0: Audio: mp3/);
    assert.doesNotMatch(all, /out_time|total_size|size=/);
  });

  it('parser_textSplitAnywhere_sameResult_andReportsAdvance', () => {
    const p = createStderrParser();
    const advanced: boolean[] = [];
    for (let i = 0; i < SAMPLE.length; i += 7) advanced.push(p.push(SAMPLE.slice(i, i + 7)));
    p.end();
    assert.deepEqual(p.state.source, { codec: 'mp3', sampleRate: 8000, channels: 1 });
    assert.equal(advanced.filter(Boolean).length, 2, 'two out_time_us increases');
  });

  it('parser_streamLineVariants', () => {
    const p = createStderrParser();
    p.push("Input #0, wav, from 'pipe:0':\n  Stream #0:0[0x1](eng): Audio: pcm_mulaw ([7][0][0][0] / 0x0007), 8000 Hz, 2 channels, s16, 128 kb/s\n");
    assert.deepEqual(p.state.source, { codec: 'pcm_mulaw', sampleRate: 8000, channels: 2 });
    assert.equal(parseChannels('stereo'), 2);
    assert.equal(parseChannels('5.1(side)'), 6);
    assert.equal(parseChannels('hexagonal'), null);
  });

  it('failureReason_dropsHeaderNoise_keepsLastErrors', () => {
    const p = createStderrParser();
    p.push("Input #0, wav, from 'pipe:0':\n  Duration: N/A\n[wav @ 0x1] invalid start code\npipe:0: Invalid data found when processing input\n");
    assert.deepEqual(failureReason(p.state.lines), ['[wav @ 0x1] invalid start code', 'pipe:0: Invalid data found when processing input']);
  });

  it('decoderWarnings_dedupedWithoutAddresses_ignoresPipeDurationNotes', () => {
    const lines = ['[wav @ 0x55] Packet corrupt', '[wav @ 0x66] Packet corrupt', '[mp3 @ 0x1] invalid concatenated file detected - using bitrate for duration'];
    assert.deepEqual(decoderWarnings(lines), ['Packet corrupt']);
  });
});
