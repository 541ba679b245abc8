import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { terminalSafe } from '../src/cli/terminal.ts';
import { runCli } from '../src/cli/main.ts';
import type { Config } from '../src/config/index.ts';
import { makeAudio } from './helpers/audio.ts';
import { cli, testConfig } from './helpers/site.ts';

// Issue 16 #14: file names and sidecar fields come from the PBX side (or whoever can write
// into its share). Printed raw, an escape sequence in them clears the operator's screen,
// rewrites what earlier lines said, sets the window title or (bidi controls) reorders the
// line. Every line the CLI prints goes through one helper that shows such characters as
// visible \u escapes instead.

// Control sequences an attacker would use: ESC c (full reset, clears the screen), CSI 2J,
// OSC 0 (window title) ended by BEL, a C1 CSI (U+009B), a carriage return that hides the
// line's start, and a right-to-left override.
const EVIL = ['\x1bc', '\x1b[2J\x1b[H', '\x1b]0;owned\x07', '\u009b2J', '\r', '\u202e'];
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

let c: Config;
let id: string;
let ingestOut: string;
before(async () => {
  c = testConfig();
  const staging = join(c.dataDir, '..', 'staging');
  mkdirSync(staging, { recursive: true });
  // a real call whose name and sidecar carry the sequences
  const name = `call-\x1b]0;owned\x07-${EVIL[3]}.wav`;
  const made = await makeAudio(staging, 'good', { format: 'wav-pcm8k', seconds: 1 });
  renameSync(made, join(staging, name));
  // Sidecar fields refuse C0 controls (issue 9: binary values are an invalid sidecar), so the
  // sidecar carries what it may still hold: a C1 CSI and a right-to-left override. The C0
  // sequences come through the file name, which is kept as the PBX wrote it.
  writeFileSync(join(staging, name.replace(/\.wav$/, '.json')), JSON.stringify({
    agent: `anna${EVIL[3]}`, queue: `sales${EVIL[5]}`, from: '+4930123456', tags: [`vip${EVIL[5]}x`],
  }));
  // a file that is not audio, whose extension lands in the quarantine reason
  writeFileSync(join(staging, 'junk.\x1bc'), randomBytes(4096));
  assert.equal((await cli(c, ['init'])).code, 0);
  const r = await cli(c, ['ingest', join(staging, name), join(staging, 'junk.\x1bc')]);
  ingestOut = r.stdout;
  id = /archived as ([0-9A-Z]{26})/.exec(r.stdout)?.[1] ?? '';
  assert.ok(id, r.stdout + r.stderr);
  assert.match(r.stdout, /QUARANTINED/);
});

describe('the CLI never prints control characters from stored text', () => {
  it('ingest_escapes_the_file_names_it_reports', () => {
    assert.doesNotMatch(ingestOut, RAW, `raw control characters in: ${JSON.stringify(ingestOut)}`);
    assert.match(ingestOut, /junk\.\\u001bc: QUARANTINED/);
  });

  for (const [what, args, shows] of [
    ['list', ['list'], /anna\\u009b2J\tsales\\u202e/],
    ['list --json', ['list', '--json'], /"agent": "anna\\u009b2J"/],
    ['show', () => ['show', id], /sourceName +call-\\u001b\]0;owned\\u0007-\\u009b2J\.wav/],
    ['show --json', () => ['show', id, '--json'], /"tags": \[\n\s+"vip\\u202ex"\n\s+\],[^]*"sourceName": "call-\\u001b\]0;owned\\u0007-\\u009b2J\.wav"/],
    ['status', ['status'], /although it is named "\.\\u001bc"/],
    ['quarantine list', ['quarantine', 'list'], /although it is named "\.\\u001bc"/],
  ] as const) {
    it(`${what.replace(/ /g, '_')}_escapes_escape_sequences_from_names_and_sidecars`, async () => {
      const r = await cli(c, typeof args === 'function' ? args() : [...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, RAW, `raw control characters in: ${JSON.stringify(r.stdout)}`);
      assert.match(r.stdout, shows, 'the characters are shown, not dropped');
      if (what.endsWith('--json')) {
        // still valid JSON, and it means the same: the escapes are JSON's own
        const v = JSON.parse(r.stdout);
        const row = Array.isArray(v) ? v[0] : v;
        assert.equal(row.agent, `anna${EVIL[3]}`);
        assert.deepEqual(row.tags, [`vip${EVIL[5]}x`]);
      }
    });
  }
});

describe('terminalSafe', () => {
  it('escapes_c0_c1_del_and_bidi_controls_and_keeps_newline_tab_and_other_text', () => {
    assert.equal(terminalSafe('a\x1b[2Jb\x07\x7f\u0085\u009b\u202e\u2066z'), 'a\\u001b[2Jb\\u0007\\u007f\\u0085\\u009b\\u202e\\u2066z');
    assert.equal(terminalSafe('line 1\n\tline 2 — Grüße +49 ✓'), 'line 1\n\tline 2 — Grüße +49 ✓');
    assert.equal(terminalSafe('\r\u0000'), '\\u000d\\u0000');
  });
});

describe('runCli', () => {
  it('sends_every_line_of_every_command_through_terminalSafe_whatever_the_sink', async () => {
    const lines: string[] = [];
    await runCli(['no-such-\x1b[2J-command'], { out: (s) => lines.push(s), err: (s) => lines.push(s) });
    assert.match(lines.join('\n'), /unknown command "no-such-\\u001b\[2J-command"/);
    assert.doesNotMatch(lines.join('\n'), RAW);
  });
});
