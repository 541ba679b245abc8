// Which ffmpeg runs: explicit setting, then PATH, then the npm packages (src/media/resolve.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTresorError } from '../src/core/errors.ts';
import { createMedia, resolveFfmpeg, sniffInput } from '../src/media/index.ts';
import { makeAudio } from './helpers/audio.ts';

describe('resolveFfmpeg', () => {
  it('resolve_explicitMissingPath_errorsWithoutFallback', async () => {
    await assert.rejects(resolveFfmpeg('/opt/nowhere/ffmpeg'), (e: unknown) => {
      assert.ok(isTresorError(e, 'E_FFMPEG_MISSING'));
      assert.match(e.message, /\/opt\/nowhere\/ffmpeg.*no such file/);
      return true;
    });
  });

  it('resolve_explicitBinaryThatIsNotFfmpeg_errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tresor-resolve-'));
    try {
      const fake = join(dir, 'ffmpeg');
      await writeFile(fake, '#!/bin/sh\necho hello\n');
      await chmod(fake, 0o755);
      await assert.rejects(resolveFfmpeg(fake), (e: unknown) => isTresorError(e, 'E_FFMPEG_MISSING') && /is not ffmpeg/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resolve_explicitGoodPath_sourceConfig', async () => {
    const info = await resolveFfmpeg('/usr/bin/ffmpeg');
    assert.equal(info.source, 'config');
    assert.equal(info.path, '/usr/bin/ffmpeg');
    assert.match(info.version, /^5\./);
    assert.equal(info.hasLibopus, true);
    assert.equal(info.hasFlac, true);
  });

  it('resolve_noExplicit_systemFromPath', async () => {
    for (const explicit of [null, '']) {
      const info = await resolveFfmpeg(explicit);
      assert.equal(info.source, 'system');
      assert.equal(info.path, '/usr/bin/ffmpeg');
    }
  });

  it('resolve_noFfmpegOnPath_fallsBackToPackages', async () => {
    const info = await resolveFfmpeg(null, { pathEnv: '/nonexistent' });
    // ffmpeg-static usually has no binary offline; @ffmpeg-installer is in node_modules
    assert.ok(info.source === 'ffmpeg-static' || info.source === 'ffmpeg-installer', info.source);
    assert.match(info.path, /node_modules/);
    assert.equal(info.hasLibopus, true);
  });

  it('resolve_installerBuild_transcodesWithOurArgs', async () => {
    // ffmpeg 4.1 must understand every flag we pass, or the last fallback is useless
    const info = await resolveFfmpeg(null, { pathEnv: '' });
    const dir = await mkdtemp(join(tmpdir(), 'tresor-resolve-'));
    try {
      const bytes = await readFile(await makeAudio(dir, 'a', { format: 'wav-ulaw', seconds: 1 }));
      const r = await createMedia(info, { timeoutMs: 20_000, stallMs: 10_000 }).transcode(bytes, sniffInput(bytes, 'a.wav'), { format: 'opus', kbpsPerChannel: 16, compressionLevel: 5 });
      assert.equal(r.codec, 'pcm_mulaw');
      assert.ok(Math.abs(r.durationMs - 1000) <= 100, String(r.durationMs));
      assert.equal(r.output.toString('latin1', 0, 4), 'OggS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
