// sniffInput and the header readers: pure, no ffmpeg. Tresor must pick the demuxer itself
// and refuse anything that could make ffmpeg open other files (DESIGN §5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isTresorError } from '../src/core/errors.ts';
import { sniffInput, storedInputFormat } from '../src/media/formats.ts';
import { finishWavHeader, readWavHeader, wavCompleteness } from '../src/media/wav.ts';
import { readFlacStreamInfo, setFlacTotalSamples } from '../src/media/flac.ts';
import { id3Size, mpegFrameAt, mpegStreamAt } from '../src/media/mpeg.ts';
import { wavHeader } from './helpers/audio.ts';

const pcmHeader = (dataBytes: number, channels = 1) => wavHeader({ sampleRate: 8000, channels, bitsPerSample: 16, dataBytes });
// MPEG-1 layer III, 32 kbit/s, 32 kHz, mono: 144*32000/32000 = 144-byte frames
const mp3Frame = (): Buffer => Buffer.concat([Buffer.from([0xff, 0xfb, 0x18, 0xc4]), Buffer.alloc(140)]);

function refused(fn: () => unknown, code: 'E_UNSUPPORTED_FORMAT' | 'E_EMPTY_FILE', like?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTresorError(e, code), `expected ${code}, got ${String(e)}`);
    if (like) assert.match(e.message, like);
    return true;
  });
}

describe('sniffInput', () => {
  it('sniffInput_wavMagic_picksWavAndReadsChannels', () => {
    const f = sniffInput(Buffer.concat([pcmHeader(1600, 2), Buffer.alloc(1600)]), 'x.bin');
    assert.deepEqual(f, { demuxer: 'wav', inputArgs: [], label: 'WAV (RIFF)', channelsHint: 2 });
  });

  it('sniffInput_rf64_picksWav', () => {
    const h = pcmHeader(0);
    h.write('RF64', 0, 'latin1');
    assert.equal(sniffInput(h, 'a.wav').label, 'WAV (RF64)');
  });

  it('sniffInput_id3Tag_picksMp3', () => {
    const tag = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]);
    const f = sniffInput(Buffer.concat([tag, mp3Frame(), mp3Frame()]), 'call.wav');
    assert.equal(f.demuxer, 'mp3');
    assert.equal(f.channelsHint, 1);
  });

  it('sniffInput_mpegFrameSync_picksMp3EvenWhenNamedWav', () => {
    assert.equal(sniffInput(Buffer.concat([mp3Frame(), mp3Frame(), mp3Frame()]), 'call.wav').demuxer, 'mp3');
  });

  it('sniffInput_frameSyncWithoutSecondFrame_refused', () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xfb, 0x18, 0xc4]), randomBytes(4000)]);
    fake[144] = 0x00; // where the next frame header would have to be
    refused(() => sniffInput(fake, 'x.mp3'), 'E_UNSUPPORTED_FORMAT');
  });

  it('sniffInput_oggAndFlacMagic_pickTheirDemuxers', () => {
    const opusHead = Buffer.alloc(64);
    opusHead.write('OggS', 0, 'latin1');
    opusHead[26] = 1;
    opusHead.write('OpusHead', 28, 'latin1');
    opusHead[28 + 9] = 2;
    assert.deepEqual(sniffInput(opusHead, 'x.ogg'), { demuxer: 'ogg', inputArgs: [], label: 'Ogg', channelsHint: 2 });
    const flac = Buffer.alloc(42);
    flac.write('fLaC', 0, 'latin1');
    assert.equal(sniffInput(flac, 'x').demuxer, 'flac');
  });

  it('sniffInput_rawExtensions_useFixedRateAndMono', () => {
    const noise = Buffer.from(Array.from({ length: 800 }, (_, i) => (i * 37) % 256));
    assert.deepEqual(sniffInput(noise, 'a.ULAW'), { demuxer: 'mulaw', inputArgs: ['-ar', '8000', '-ac', '1'], label: 'raw µ-law 8 kHz', channelsHint: 1 });
    assert.equal(sniffInput(noise, 'a.ul').demuxer, 'mulaw');
    assert.equal(sniffInput(noise, 'a.mulaw').demuxer, 'mulaw');
    assert.equal(sniffInput(noise, 'a.alaw').demuxer, 'alaw');
    assert.equal(sniffInput(noise, 'a.al').demuxer, 'alaw');
    assert.deepEqual(sniffInput(noise, 'a.sln').inputArgs, ['-ar', '8000', '-ac', '1']);
    assert.deepEqual(sniffInput(noise, 'a.raw').inputArgs, ['-ar', '8000', '-ac', '1']);
    assert.deepEqual(sniffInput(noise, 'a.sln16').inputArgs, ['-ar', '16000', '-ac', '1']);
  });

  it('sniffInput_rawGsm_needsFrameSignature', () => {
    const gsm = Buffer.alloc(33 * 10, 0x11);
    for (let i = 0; i < 10; i++) gsm[i * 33] = 0xd2;
    assert.deepEqual(sniffInput(gsm, 'a.gsm'), { demuxer: 'gsm', inputArgs: ['-ar', '8000'], label: 'raw GSM 06.10 8 kHz', channelsHint: 1 });
    gsm[33 * 4] = 0x12;
    refused(() => sniffInput(gsm, 'a.gsm'), 'E_UNSUPPORTED_FORMAT', /unrecognised/);
  });

  it('sniffInput_hlsPlaylistNamedWav_refusedAsPlaylist', () => {
    const m3u = Buffer.from('#EXTM3U\n#EXTINF:10,\n/etc/passwd\n');
    refused(() => sniffInput(m3u, 'call.wav'), 'E_UNSUPPORTED_FORMAT', /HLS/);
    refused(() => sniffInput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), m3u]), 'call.ulaw'), 'E_UNSUPPORTED_FORMAT', /HLS/);
  });

  it('sniffInput_ffconcatNamedRaw_refusedAsScript', () => {
    refused(() => sniffInput(Buffer.from("ffconcat version 1.0\nfile '/etc/passwd'\n"), 'call.sln'), 'E_UNSUPPORTED_FORMAT', /ffconcat/);
  });

  it('sniffInput_textNamedRaw_refusedAsText', () => {
    refused(() => sniffInput(Buffer.from('Grüße aus Köln, this is plainly text\n'), 'call.alaw'), 'E_UNSUPPORTED_FORMAT', /is text/);
  });

  it('sniffInput_randomBytesNamedWav_refusedWithFirstBytes', () => {
    const junk = randomBytes(4096);
    junk[0] = 0x00; // not a frame sync by chance
    refused(() => sniffInput(junk, 'call.wav'), 'E_UNSUPPORTED_FORMAT', /first bytes 00 .*named "\.wav"/);
  });

  it('sniffInput_knownNonAudioContainers_namedInMessage', () => {
    const avi = Buffer.from('RIFF\x00\x00\x00\x00AVI LIST', 'latin1');
    refused(() => sniffInput(avi, 'x.wav'), 'E_UNSUPPORTED_FORMAT', /not WAVE/);
    refused(() => sniffInput(Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00', 'latin1'), 'x.wav'), 'E_UNSUPPORTED_FORMAT', /MP4/);
  });

  it('sniffInput_zeroBytes_emptyFile', () => {
    refused(() => sniffInput(Buffer.alloc(0), 'x.wav'), 'E_EMPTY_FILE');
  });

  it('storedInputFormat_mapsStoredKindsBack', () => {
    assert.equal(storedInputFormat(Buffer.from('OggS'), 'opus').demuxer, 'ogg');
    assert.equal(storedInputFormat(Buffer.from('fLaC'), 'flac').demuxer, 'flac');
    const ulaw = Buffer.alloc(800, 0xff); // µ-law silence
    assert.equal(storedInputFormat(ulaw, 'original:raw µ-law 8 kHz').demuxer, 'mulaw');
    assert.equal(storedInputFormat(ulaw, 'original:raw signed linear 16 kHz').inputArgs[1], '16000');
    assert.equal(storedInputFormat(pcmHeader(0), 'original:WAV (RIFF)').demuxer, 'wav');
  });
});

describe('WAV headers', () => {
  it('wavCompleteness_dataShorterThanDeclared_truncated', () => {
    const file = Buffer.concat([pcmHeader(16000), Buffer.alloc(6000)]);
    assert.deepEqual(wavCompleteness(file, file.length), { truncated: true, missingBytes: 10000 });
  });

  it('wavCompleteness_completeFileWithTrailingChunks_notTruncated', () => {
    const file = Buffer.concat([pcmHeader(1600), Buffer.alloc(1600), Buffer.from('LIST\x04\x00\x00\x00INFO', 'latin1')]);
    assert.deepEqual(wavCompleteness(file, file.length), { truncated: false, missingBytes: 0 });
  });

  it('wavCompleteness_streamingWriterSizes_notTruncated', () => {
    for (const size of [0, 0xffffffff]) {
      const file = Buffer.concat([pcmHeader(size), Buffer.alloc(100)]);
      assert.equal(readWavHeader(file)!.dataBytesDeclared, null);
      assert.equal(wavCompleteness(file, file.length).truncated, false);
    }
  });

  it('wavCompleteness_headOnlyButTotalGiven_usesTotal', () => {
    const head = pcmHeader(16000);
    assert.equal(wavCompleteness(head, 44 + 16000).truncated, false);
    assert.equal(wavCompleteness(head, 44 + 15999).truncated, true);
  });

  it('readWavHeader_rf64_takesDataSizeFromDs64', () => {
    const ds64 = Buffer.alloc(8 + 28);
    ds64.write('ds64', 0, 'latin1');
    ds64.writeUInt32LE(28, 4);
    ds64.writeBigUInt64LE(5_000_000_000n, 16);
    const fmt = pcmHeader(0).subarray(12, 36);
    const data = Buffer.from('data\xff\xff\xff\xff', 'latin1');
    const h = readWavHeader(Buffer.concat([Buffer.from('RF64\xff\xff\xff\xffWAVE', 'latin1'), ds64, fmt, data]))!;
    assert.equal(h.container, 'RF64');
    assert.equal(h.dataBytesDeclared, 5_000_000_000);
    assert.equal(h.channels, 1);
  });

  it('finishWavHeader_pipeSizes_filledIn', () => {
    const wav = Buffer.concat([pcmHeader(0xffffffff), Buffer.alloc(320)]);
    wav.writeUInt32LE(0xffffffff, 4);
    finishWavHeader(wav);
    assert.equal(wav.readUInt32LE(4), 36 + 320);
    assert.equal(wav.readUInt32LE(40), 320);
  });
});

describe('FLAC and MPEG headers', () => {
  it('setFlacTotalSamples_writes36BitCount', () => {
    const flac = Buffer.alloc(42);
    flac.write('fLaC', 0, 'latin1');
    flac[7] = 34;
    // 8000 Hz, 2 channels, 16 bit
    flac.writeUIntBE((8000 << 12) | (1 << 9) | (15 << 4), 18, 4);
    setFlacTotalSamples(flac, 2 ** 33 + 5);
    assert.deepEqual(readFlacStreamInfo(flac), { sampleRate: 8000, channels: 2, totalSamples: 2 ** 33 + 5 });
    assert.equal(flac[21]! >> 4, 15, 'bits per sample untouched');
  });

  it('mpegFrameAt_layer3Mono_lengthAndChannels', () => {
    assert.deepEqual(mpegFrameAt(mp3Frame(), 0), { length: 144, channels: 1, sampleRate: 32000, kind: 0x1a });
    assert.equal(mpegFrameAt(Buffer.from([0xff, 0xf1, 0x50, 0x80]), 0), null, 'ADTS AAC (layer 00) is not MPEG audio');
    assert.ok(mpegStreamAt(Buffer.concat([mp3Frame(), mp3Frame()]), 0));
  });

  it('id3Size_syncsafe', () => {
    assert.equal(id3Size(Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0x02, 0x01])), 10 + 257);
    assert.equal(id3Size(Buffer.from('ID3 is a tag format', 'latin1')), 0);
  });
});
