// Issue 15, item 2: a downloaded call's file name says what it is (day, time, direction,
// id; no numbers or names), and "WAV" keeps the call's own sample rate, not Opus's 48 kHz.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { downloadName } from '../src/core/download-name.ts';

describe('download names and WAV rate', () => {
  let w: WebSite;
  let inbound: string;
  let outbound: string;
  before(async () => {
    w = await webSite();
    await makeUser(w, 'sup', ['supervisor']);
    inbound = await w.ingestCall('in-4930123456-015112345678-20261130-153012-1764513012.7.wav', { seconds: 4, format: 'wav-pcm8k' }, { queue: 'support' });
    outbound = await w.ingestCall('out-030987654-201-20261126-093000-1764145800.5.wav', { seconds: 3, format: 'wav-pcm8k' });
  });
  after(() => w?.close());

  it('names_the_stored_and_the_wav_download_by_day_time_direction_and_id_without_numbers', async () => {
    const b = browser(w);
    await b.login('sup');
    const stored = await b.get(`/recordings/${inbound}/download`);
    assert.equal(stored.status, 200);
    assert.equal(stored.headers.get('Content-Type'), 'audio/ogg');
    const cd = stored.headers.get('Content-Disposition') ?? '';
    assert.equal(cd, `attachment; filename="2026-11-30_1530_inbound_${inbound}.ogg"`);
    assert.doesNotMatch(cd, /015112345678|4930123456|support/, 'no numbers or queue in the name');
    await stored.arrayBuffer();

    const wav = await b.get(`/recordings/${outbound}/download?format=wav`);
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('Content-Disposition'), `attachment; filename="2026-11-26_0930_outbound_${outbound}.wav"`);
    const bytes = Buffer.from(await wav.arrayBuffer());
    // RIFF fmt chunk: sample rate at byte 24 (little-endian)
    assert.equal(bytes.readUInt32LE(24), 8000, "the call's own 8 kHz, not 48 kHz");
    assert.ok(Math.abs(bytes.length - (44 + 3 * 8000 * 2)) < 8000 * 2 * 0.1, `${bytes.length} bytes for 3 s at 8 kHz mono`);
  });

  it('names_follow_the_given_zone_and_keep_only_safe_characters', () => {
    const start = Date.UTC(2026, 10, 30, 14, 30, 59);
    assert.equal(downloadName({ id: '01ABC', start, direction: 'in' }, 'ogg', 'Europe/Berlin'), '2026-11-30_1530_inbound_01ABC.ogg');
    assert.equal(downloadName({ id: '01ABC', start, direction: 'internal' }, 'wav', 'UTC'), '2026-11-30_1430_internal_01ABC.wav');
    assert.equal(downloadName({ id: '../"x', start, direction: 'unknown' }, 'flac', 'UTC'), '2026-11-30_1430_call_x.flac');
  });
});
