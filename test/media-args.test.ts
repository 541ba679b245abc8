// The ffmpeg argument lists, flag by flag, without running ffmpeg.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTresorError } from '../src/core/errors.ts';
import { buildArgs, opusKbps, type OutputSpec } from '../src/media/args.ts';
import type { InputFormat } from '../src/media/formats.ts';

const wav: InputFormat = { demuxer: 'wav', inputArgs: [], label: 'WAV (RIFF)', channelsHint: 1 };
const ulaw: InputFormat = { demuxer: 'mulaw', inputArgs: ['-ar', '8000', '-ac', '1'], label: 'raw µ-law 8 kHz', channelsHint: 1 };
const opus: OutputSpec = { kind: 'opus', kbps: 32, compressionLevel: 5 };

/** the value after `flag`, asserting the flag appears exactly once */
function value(args: string[], flag: string): string {
  assert.equal(args.filter((a) => a === flag).length, 1, `${flag} once in ${args.join(' ')}`);
  return args[args.indexOf(flag) + 1]!;
}
const before = (args: string[], a: string, b: string): boolean => args.indexOf(a) < args.indexOf(b);

describe('buildArgs', () => {
  it('buildArgs_readsStdinWritesStdout_noPaths', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-i'), 'pipe:0');
    assert.equal(args.at(-1), 'pipe:1');
    assert.ok(!args.some((a) => a.includes('/')), 'no file paths on the command line');
  });

  it('buildArgs_nostdinAndQuietBanner', () => {
    const args = buildArgs(wav, opus);
    assert.ok(args.includes('-nostdin'));
    assert.ok(args.includes('-hide_banner'));
    assert.equal(value(args, '-loglevel'), 'info');
  });

  it('buildArgs_progressOnStderr_noHumanStats', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-progress'), 'pipe:2');
    assert.ok(args.includes('-nostats'));
  });

  it('buildArgs_protocolWhitelistPipe_beforeInput', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-protocol_whitelist'), 'pipe');
    assert.ok(before(args, '-protocol_whitelist', '-i'));
  });

  it('buildArgs_demuxerForced_withRawOptionsBeforeInput', () => {
    const args = buildArgs(ulaw, opus);
    assert.deepEqual(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2), ['-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', 'pipe:0']);
  });

  it('buildArgs_demuxerNotOnAllowList_refused', () => {
    for (const demuxer of ['hls', 'concat', 'image2', 'lavfi', 'wav -i /etc/passwd']) {
      assert.throws(() => buildArgs({ ...wav, demuxer }, opus), (e) => isTresorError(e, 'E_UNSUPPORTED_FORMAT'));
    }
  });

  it('buildArgs_inputOptionsOtherThanRateAndChannels_refused', () => {
    for (const inputArgs of [['-i', '/etc/passwd'], ['-ar'], ['-ar', '8000; rm'], ['-protocol_whitelist', 'file']]) {
      assert.throws(() => buildArgs({ ...ulaw, inputArgs }, opus), (e) => isTresorError(e, 'E_INTERNAL'));
    }
  });

  it('buildArgs_firstAudioStreamOnly_noVideoSubsData', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-map'), '0:a:0');
    for (const f of ['-vn', '-sn', '-dn']) assert.ok(args.includes(f), f);
    assert.ok(before(args, '-i', '-map'), 'output options follow the input');
  });

  it('buildArgs_noMetadataOrChaptersCopied_bitexact', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-map_metadata'), '-1');
    assert.equal(value(args, '-map_chapters'), '-1');
    assert.equal(value(args, '-fflags'), '+bitexact');
  });

  it('buildArgs_keepsChannelCount_noDownmixOrResample', () => {
    const args = buildArgs(wav, opus);
    const out = args.slice(args.indexOf('pipe:0'));
    assert.ok(!out.includes('-ac'), 'no -ac on the output: stereo (agent | customer) stays stereo');
    assert.ok(!out.includes('-ar'), 'Opus decodes at 48 kHz anyway; the encoder gets the source rate');
  });

  it('buildArgs_opus_voiceSettings', () => {
    const args = buildArgs(wav, opus);
    assert.equal(value(args, '-c:a'), 'libopus');
    assert.equal(value(args, '-application'), 'voip');
    assert.equal(value(args, '-b:a'), '32k');
    assert.equal(value(args, '-compression_level'), '5');
    assert.deepEqual(args.slice(-3), ['-f', 'ogg', 'pipe:1']);
  });

  it('opusKbps_isPerChannel', () => {
    assert.equal(opusKbps(16, 1), 16);
    assert.equal(opusKbps(16, 2), 32);
    assert.equal(opusKbps(16, 0), 16);
  });

  it('buildArgs_opusOutOfRange_refused', () => {
    assert.throws(() => buildArgs(wav, { kind: 'opus', kbps: 2, compressionLevel: 5 }), (e) => isTresorError(e, 'E_CONFIG'));
    assert.throws(() => buildArgs(wav, { kind: 'opus', kbps: 16, compressionLevel: 11 }), (e) => isTresorError(e, 'E_CONFIG'));
  });

  it('buildArgs_flac_16BitToPipe', () => {
    const args = buildArgs(wav, { kind: 'flac', compressionLevel: 8 });
    assert.equal(value(args, '-c:a'), 'flac');
    assert.equal(value(args, '-compression_level'), '8');
    assert.equal(value(args, '-sample_fmt'), 's16');
    assert.deepEqual(args.slice(-3), ['-f', 'flac', 'pipe:1']);
  });

  it('buildArgs_wav_pcm16WithOptionalRate', () => {
    const args = buildArgs(wav, { kind: 'wav', sampleRate: 8000 });
    assert.equal(value(args, '-c:a'), 'pcm_s16le');
    assert.equal(args[args.lastIndexOf('-ar') + 1], '8000');
    assert.deepEqual(args.slice(-3), ['-f', 'wav', 'pipe:1']);
    assert.ok(!buildArgs(wav, { kind: 'wav' }).slice(8).includes('-ar'));
  });

  it('buildArgs_probe_decodesToNull', () => {
    const args = buildArgs(wav, { kind: 'probe' });
    assert.deepEqual(args.slice(-3), ['-f', 'null', '-']);
    assert.ok(!args.includes('-c:a'));
  });
});
