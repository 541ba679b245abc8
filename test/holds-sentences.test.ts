import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { listHolds, requestHoldRelease } from '../src/retention/holds.ts';
import { requestDeletion } from '../src/retention/deletion.ts';
import { savePolicy } from '../src/retention/policies.ts';

// Issue 15 item 5 on real ingested calls: a hold by number shows the number to those who
// may see numbers and how many calls it holds now; an approval says what it will do, in
// German and English.

const NOISE = { seconds: 2, source: 'noise' } as const;
const CUSTOMER = '015112345678';
const E164 = '+4915112345678';

describe('holds and approvals read like sentences', () => {
  let w: WebSite;
  const ids: string[] = [];

  before(async () => {
    w = await webSite();
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'ada', ['admin']);
    await makeUser(w, 'anna', ['admin']);
    // a day's retention, before the calls: those of 27 November are due, so a release makes them deletable
    await savePolicy(w.site.store, w.site.log, 'user:ada', 'day', { name: 'day', match: {}, keep: 'P1D', lock: false });
    ids.push(await w.ingestCall(`in-4930123456-${CUSTOMER}-20261127-142501-1764250000.1.wav`, NOISE));
    ids.push(await w.ingestCall(`out-${CUSTOMER}-201-20261127-150000-1764250000.2.wav`, NOISE));
    ids.push(await w.ingestCall('in-4930123456-015112345600-20261127-160000-1764250000.3.wav', NOISE));
  });
  after(() => w?.close());

  it('a hold by number shows the number to a dpo, not to an admin, and how many calls it holds now', async () => {
    const dpo = browser(w);
    assert.equal((await dpo.login('dora')).status, 303);
    const placed = await dpo.post('/holds', { caseName: 'Case 12', reason: 'court order 4 O 12/26', number: '0151 1234 5678' });
    assert.equal(placed.status, 303);
    const h = listHolds(w.site.store)[0]!;
    assert.ok(h.sealedSearch && !h.sealedSearch.includes('5678'), 'the typed number is sealed at rest');
    assert.ok(!JSON.stringify(w.site.log.entries(0, w.site.log.size())).includes('5678'), 'and never in the log');

    const en = await (await dpo.get('/holds', { 'Accept-Language': 'en' })).text();
    assert.match(en, new RegExp(`number \\${E164}`));
    assert.match(en, /holds 2 call\(s\) now/);
    const de = await (await dpo.get('/holds', { 'Accept-Language': 'de' })).text();
    assert.match(de, new RegExp(`Rufnummer \\${E164}`));
    assert.match(de, /hält jetzt 2 Anruf\(e\)/);

    const admin = browser(w);
    assert.equal((await admin.login('ada')).status, 303);
    const masked = await (await admin.get('/holds', { 'Accept-Language': 'en' })).text();
    assert.doesNotMatch(masked, /5678/);
    assert.match(masked, /a phone number \(keyed\)/);
    assert.match(masked, /holds 2 call\(s\) now/);

    // a new call of the number is held too: the count follows
    ids.push(await w.ingestCall(`in-4930123456-${CUSTOMER}-20261127-170000-1764250000.4.wav`, NOISE));
    assert.match(await (await dpo.get('/holds', { 'Accept-Language': 'en' })).text(), /holds 3 call\(s\) now/);
  });

  it('approvals say what they will do: release a hold, delete calls', async () => {
    const h = listHolds(w.site.store)[0]!;
    await requestHoldRelease(w.site.store, w.site.log, 'user:ada', h.id, { reason: 'case closed', person: 'ada' });
    await requestDeletion(w.site.store, w.site.log, 'user:anna', { ids: [ids[2]!], reason: 'recorded by mistake', person: 'anna' });
    const dpo = browser(w);
    await dpo.login('dora');
    const en = await (await dpo.get('/approvals', { 'Accept-Language': 'en' })).text();
    assert.match(en, /Release hold ‘Case 12’ — 3 calls become deletable/);
    assert.match(en, /Delete 1 calls now \(requested by anna\)/);
    const de = await (await dpo.get('/approvals', { 'Accept-Language': 'de' })).text();
    assert.match(de, /Sperre „Case 12“ aufheben — 3 Anrufe werden löschbar/);
    assert.match(de, /1 Anrufe jetzt löschen \(beantragt von anna\)/);
  });
});
