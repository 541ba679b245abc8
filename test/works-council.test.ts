// Works-council switches (issue 12, item 6; § 87 Abs. 1 Nr. 6 BetrVG): speech analysis,
// transcription and per-agent statistics are off until switched on; each change is logged
// with who and why; locked, a switch can be turned off but not on, and the lock is lifted
// only by a four-eyes request a second person approves (the real approvals and registry).
// With the switch off, real ingest of generated speech is not analysed at all; on, it is.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ingestSite, source, type IngestSite } from './helpers/ingest.ts';
import { isTresorError } from '../src/core/errors.ts';
import { decide, getApproval } from '../src/approvals/index.ts';
import { approvalRegistry } from '../src/site/approvals.ts';
import { lockSwitches, pocketsphinxEngine, requestUnlock, setSwitch, switchesOf } from '../src/speech/index.ts';
import { cli } from './helpers/site.ts';

const noSpeech = pocketsphinxEngine().unavailable() ?? (() => {
  try {
    execFileSync('espeak-ng', ['--version']);
    return null;
  } catch {
    return 'espeak-ng is not installed (Debian: espeak-ng)';
  }
})();

describe('works-council switches', () => {
  let s: IngestSite;
  before(async () => {
    s = await ingestSite((c) => {
      c.speech = { engine: 'pocketsphinx', windowSeconds: 30, phrases: [{ id: 'agree-1', kind: 'agree', text: 'I agree' }], model: null };
    });
  });
  after(() => s?.close());
  const store = () => s.site.store;
  const log = () => s.site.log;
  const entries = (action: string) => [...store().log.range(0, Number.MAX_SAFE_INTEGER)].map((l) => JSON.parse(l.value)).filter((e: { action: string }) => e.action === action);

  async function ingestSpeech(name: string, text: string) {
    const wav = join(s.work(), `${name}.wav`);
    execFileSync('espeak-ng', ['-w', wav, text]);
    const o = await s.ingest.ingestFile(source(wav));
    assert.equal(o.status, 'archived', JSON.stringify(o));
    const id = (o as { id: string }).id;
    return { id, actions: s.site.log.about('target', `recording:${id}`, 20).map((e) => e.action) };
  }

  it('all three are off on a new archive, and nothing is analysed while speech-analysis is off', { skip: noSpeech ?? false }, async () => {
    assert.deepEqual(switchesOf(store()).on, { 'speech-analysis': false, transcription: false, 'agent-statistics': false });
    const r = await ingestSpeech('off', 'Hello. Yes, I agree to the recording. Thank you.');
    assert.ok(!r.actions.includes('speech.analysed') && !r.actions.includes('speech.skipped'), JSON.stringify(r.actions));
    assert.equal(store().recordings.get(r.id)!.consentEvidence?.some((e) => e.advisory) ?? false, false);
  });

  it('switching needs a reason and an existing switch; each change is logged with who, was and why', async () => {
    await assert.rejects(setSwitch(store(), log(), 'user:adam', 'speech-analysis', true, ''), (e: unknown) => isTresorError(e, 'E_INVALID') && e.detail.reason === 'no-reason');
    await assert.rejects(setSwitch(store(), log(), 'user:adam', 'emotion-detection', true, 'x'), (e: unknown) => isTresorError(e, 'E_INVALID'));
    const sw = await setSwitch(store(), log(), 'user:adam', 'speech-analysis', true, 'Betriebsvereinbarung 2026-07 § 3');
    assert.equal(sw.on['speech-analysis'], true);
    const e = entries('works-council.switched').at(-1);
    assert.deepEqual([e.actor, e.target, e.detail], ['user:adam', 'works-council', { switch: 'speech-analysis', on: true, was: false, locked: false, reason: 'Betriebsvereinbarung 2026-07 § 3' }]);
    const n = entries('works-council.switched').length;
    await setSwitch(store(), log(), 'user:adam', 'speech-analysis', true, 'again');
    assert.equal(entries('works-council.switched').length, n, 'no change, no entry');
  });

  it('switched on, the same speech is analysed at ingest', { skip: noSpeech ?? false }, async () => {
    const r = await ingestSpeech('on', 'Good day. Yes, I agree to the recording.');
    assert.ok(r.actions.includes('speech.analysed'), JSON.stringify(r.actions));
  });

  it('locked: a switch can be turned off but not on; unlocking is a four-eyes request the requester cannot approve', async () => {
    await lockSwitches(store(), log(), 'user:adam', 'agreement signed');
    assert.equal(switchesOf(store()).locked, true);
    assert.equal(entries('works-council.locked').length, 1);
    await assert.rejects(setSwitch(store(), log(), 'user:adam', 'transcription', true, 'try'), (e: unknown) => isTresorError(e, 'E_LOCKED') && /unlocking needs a second person/.test(e.message));
    assert.equal(switchesOf(store()).on.transcription, false);
    // turning one off needs no council: less monitoring
    await setSwitch(store(), log(), 'user:adam', 'speech-analysis', false, 'pilot over');
    assert.equal(switchesOf(store()).on['speech-analysis'], false);
    await assert.rejects(setSwitch(store(), log(), 'user:adam', 'speech-analysis', true, 'back on'), (e: unknown) => isTresorError(e, 'E_LOCKED'));

    const req = await requestUnlock(store(), log(), 'user:adam', 'new agreement for transcription');
    await assert.rejects(decide(store(), log(), req.id, { by: 'user:adam', roles: ['admin'], approve: true }), (e: unknown) => isTresorError(e, 'E_FOUR_EYES'));
    assert.equal(switchesOf(store()).locked, true, 'still locked');

    const registry = approvalRegistry(s.site, s.config);
    assert.match(registry.describe(getApproval(store(), req.id)!, { roles: ['dpo'] }).summary, /unlock the works-council switches/);
    const row = await decide(store(), log(), req.id, { by: 'user:dora', roles: ['dpo'], approve: true });
    assert.equal(row.state, 'approved');
    await registry.execute(store(), row, 'user:dora');
    assert.equal(switchesOf(store()).locked, false);
    const u = entries('works-council.unlocked').at(-1);
    assert.deepEqual([u.actor, u.detail.approval, u.detail.requestedBy], ['user:dora', req.id, 'user:adam']);
    await setSwitch(store(), log(), 'user:adam', 'transcription', true, 'new agreement');
    assert.equal(switchesOf(store()).on.transcription, true);
  });
});

describe('tresor speech switch / lock / unlock (CLI)', () => {
  it('switches, locks, refuses on while locked, files an unlock request', async () => {
    const s = await ingestSite();
    const c = s.config;
    await s.close();
    const on = await cli(c, ['speech', 'switch', 'agent-statistics', 'on', '--reason', 'BV 7']);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.stdout.trim(), 'agent-statistics on');
    assert.equal((await cli(c, ['speech', 'lock', '--reason', 'signed'])).code, 0);
    const refused = await cli(c, ['speech', 'switch', 'transcription', 'on', '--reason', 'x']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /locked/);
    const un = await cli(c, ['speech', 'unlock', '--reason', 'renegotiated']);
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout.trim(), /^[0-9A-Z]{26}$/);
    assert.match(un.stderr, /tresor approve/);
    const st = await cli(c, ['speech', 'status']);
    assert.match(st.stdout, /works-council switches \(§ 87\(1\) no\. 6 BetrVG\), locked: speech-analysis off, transcription off, agent-statistics on/);
  });
});
