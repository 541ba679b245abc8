import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { makeAudio } from './helpers/audio.ts';
import { configFile, envFor, testConfig, TRESOR } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';

// The service behind a TRESOR_FFMPEG wrapper script that forks (as vendor wrappers and
// "logging" shims do): for a transcode it leaves a helper holding ffmpeg's stdio and then
// hangs. The stall watchdog must kill the whole process group, the file must stay in the
// inbox untouched, and SIGTERM must stop the service (issue 9, item 5). Before, the helper
// kept the pipes open, the ingest never settled and the service never stopped.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('serve_with_a_forking_ffmpeg_wrapper_that_hangs_defers_the_file_and_stops_on_sigterm', { timeout: 90_000 }, async () => {
  // No periodic rescan after the first look: a second attempt on the same bytes would time
  // out again and (by design, issue 16 #10) go to quarantine, racing the SIGTERM below. The
  // file arrives by rename, which the inotify hint reports.
  const c = testConfig({ workers: 1, scanIntervalSeconds: 3600 });
  c.media = { ...c.media, timeoutSeconds: 120, stallSeconds: 1 };
  const dir = join(c.dataDir, '..');
  const wrapper = join(dir, 'ffmpeg-wrapper');
  const pidFile = join(dir, 'helper.pid');
  // -version and -encoders (the start-up check) go straight to ffmpeg; a transcode forks
  writeFileSync(wrapper, `#!/bin/sh
case "$*" in *pipe:0*) ;; *) exec /usr/bin/ffmpeg "$@" ;; esac
sleep 300 &
echo $! > ${pidFile}
wait
`, { mode: 0o755 });
  const call = await makeAudio(dir, 'in-4930123456-015112345678-20261127-142501-1764250000.1.wav', { format: 'wav-pcm8k', seconds: 1 });
  const sum = createHash('sha256').update(readFileSync(call)).digest('hex');

  const child = spawn(TRESOR, ['serve'], { env: { ...envFor(c, configFile(c)), TRESOR_FFMPEG: wrapper }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  let helper = 0;
  try {
    await waitFor('service up', () => /console on/.test(err) || child.exitCode !== null, 30_000, 20);
    assert.equal(child.exitCode, null, err);
    const inInbox = join(c.inbox, 'in-4930123456-015112345678-20261127-142501-1764250000.1.wav');
    renameSync(call, inInbox);
    helper = await waitFor('the wrapper forked its helper', () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || 0 : 0), 30_000, 20);
    await waitFor('the stall watchdog deferred the file', () => /deferred \(E_FFMPEG_TIMEOUT\)/.test(err), 15_000, 50);
    assert.ok(!alive(helper), 'the helper was killed with the process group');

    const t0 = Date.now();
    child.kill('SIGTERM');
    const [code] = await Promise.race([
      once(child, 'exit'),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`SIGTERM did not stop the service within 20 s:\n${err}`)), 20_000)),
    ]);
    assert.equal(code, 0, err);
    assert.ok(Date.now() - t0 < 20_000);
    assert.ok(existsSync(inInbox), 'the file stays in the inbox');
    assert.equal(createHash('sha256').update(readFileSync(inInbox)).digest('hex'), sum, 'byte for byte');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (helper) try { process.kill(helper, 'SIGKILL'); } catch { /* gone */ }
  }
});
