import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { closeRequest, extendRequest, findSubject, openForRequest, openRequest, requestKeyId, verifyIdentity, withdrawRequest, type PrivacyDeps } from '../src/privacy/index.ts';
import { afterPurgeOf } from '../src/site/wire.ts';
import { confirmClock } from '../src/retention/clock-guard.ts';
import { validatePrivacy } from '../src/config/privacy.ts';

// Issue 11 item 2: closed requests are kept for privacy.closedRequestYears (default 3) and
// then crypto-shredded by what runs after the scheduled purge (the same hook the service
// wires): the request's own key is destroyed, so what was sealed with it never opens
// again; the row keeps id, kind, state and dates; `request.shredded` is logged with ids
// only. The clock is moved forward the way the purge sees it (an instant years ahead,
// which its guard holds until an admin confirms it), on a real LMDB store.

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const NUMBER = '+4915120000033';

describe('closed requests are crypto-shredded after privacy.closedRequestYears', () => {
  let w: WebSite;
  let deps: PrivacyDeps;
  before(async () => {
    w = await webSite();
    deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone, dataDir: w.config.dataDir };
  });
  after(() => w?.close());

  it('shreds only what is closed and old enough, behind the clock guard, once', async () => {
    assert.equal(w.config.privacy.closedRequestYears, 3, 'the default');
    const now = Date.now();
    const answered = await openRequest(deps, 'user:dora', { kind: 'access', number: NUMBER, channel: 'letter' });
    await verifyIdentity(deps, 'user:dora', answered.id, { method: 'id card' });
    await extendRequest(deps, 'user:dora', answered.id, { months: 1, reason: 'Herr Krause schickt noch Unterlagen', notifiedAt: now });
    await closeRequest(deps, 'user:dora', answered.id, { outcome: 'answered', reason: 'Auskunft an Herrn Krause versandt' });
    const withdrawn = await openRequest(deps, 'user:dora', { kind: 'erasure', number: NUMBER });
    await withdrawRequest(deps, 'user:dora', withdrawn.id);
    const open = await openRequest(deps, 'user:dora', { kind: 'objection', number: NUMBER });
    // closed later: its three years are not over at the moment the purge runs below
    const later = await openRequest(deps, 'user:dora', { kind: 'complaint', number: NUMBER });
    await closeRequest(deps, 'user:dora', later.id, { outcome: 'refused', reason: 'unbegründet', now: now + YEAR });

    const before = w.site.store.requests.get(answered.id)!;
    assert.ok(w.site.store.keys.has(requestKeyId(answered.id)), 'each request has its own key');
    assert.match(before.identifiers, /^k1\./);
    assert.equal(JSON.parse(openForRequest(w.site.keys, answered.id, before.identifiers)).number, NUMBER);
    assert.equal(openForRequest(w.site.keys, answered.id, before.closeReason!), 'Auskunft an Herrn Krause versandt');
    const hits = await findSubject(deps, 'user:dora', { number: NUMBER });
    assert.deepEqual([...hits.requests].sort(), [answered.id, withdrawn.id, open.id, later.id].sort());

    const afterPurge = afterPurgeOf(w.config, w.site);
    // nothing is due yet today
    assert.equal(await afterPurge('system:retention', Date.now()), null);
    assert.ok(w.site.store.keys.has(requestKeyId(answered.id)));

    // three years and a few days on: an unconfirmed jump that far is held, nothing is shredded
    const future = Date.now() + 3 * YEAR + 5 * DAY;
    assert.equal(await afterPurge('system:retention', future), null);
    assert.ok(w.site.store.keys.has(requestKeyId(answered.id)), 'held by the clock guard');
    await confirmClock(w.site.store, w.site.log, 'cli:admin', future);
    const said = await afterPurge('system:retention', future);
    assert.match(said ?? '', /2 closed request\(s\) older than 3 years crypto-shredded/);

    for (const r of [answered, withdrawn]) {
      const row = w.site.store.requests.get(r.id)!;
      assert.equal(w.site.store.keys.has(requestKeyId(r.id)), false, 'its key is destroyed');
      assert.deepEqual({ id: row.id, kind: row.kind, state: row.state, receivedAt: row.receivedAt, dueAt: row.dueAt, closedAt: typeof row.closedAt },
        { id: r.id, kind: r.kind, state: r.id === answered.id ? 'answered' : 'withdrawn', receivedAt: r.receivedAt, dueAt: row.dueAt, closedAt: 'number' });
      assert.deepEqual([row.tokens, row.identifiers, row.closeReason], [[], '', null]);
      assert.ok(row.shreddedAt);
    }
    assert.equal(w.site.store.requests.get(answered.id)!.extension?.reason, '');
    // a copy of the sealed identifiers (a backup, a free LMDB page) no longer opens
    assert.throws(() => openForRequest(w.site.keys, answered.id, before.identifiers), /no data key/);
    assert.throws(() => openForRequest(w.site.keys, answered.id, before.closeReason!), /no data key/);
    // the subject is no longer linked to them; the open and the recently closed ones stay whole
    const now2 = await findSubject(deps, 'user:dora', { number: NUMBER });
    assert.deepEqual([...now2.requests].sort(), [open.id, later.id].sort());
    for (const r of [open, later]) assert.ok(w.site.store.keys.has(requestKeyId(r.id)), r.id);

    const entries = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'request.shredded');
    assert.deepEqual(entries.map((e) => e.target).sort(), [`request:${answered.id}`, `request:${withdrawn.id}`].sort());
    assert.deepEqual(Object.keys(entries[0]!.detail).sort(), ['closedAt', 'keptYears', 'kind', 'state']);
    assert.doesNotMatch(JSON.stringify(entries), /20000033|Krause/);

    // once only
    assert.equal(await afterPurge('system:retention', future + DAY), null);
    assert.equal(w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'request.shredded').length, 2);
  });

  it('privacy.closedRequestYears is checked at start', () => {
    const errors: string[] = [];
    const c = structuredClone(w.config);
    c.privacy.closedRequestYears = 0;
    validatePrivacy(c, errors);
    assert.ok(errors.some((e) => /privacy\.closedRequestYears: whole years/.test(e)), errors.join('\n'));
  });
});
