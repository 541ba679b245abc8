import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSite, type Site } from '../src/site/open.ts';
import { isTresorError } from '../src/core/errors.ts';
import { closeRequest, extendRequest, listRequests, openRequest, startRequest, verifyIdentity, withdrawRequest } from '../src/privacy/requests.ts';
import { dueAfter } from '../src/privacy/deadlines.ts';
import { openForRequest } from '../src/privacy/request-key.ts';
import type { PrivacyDeps } from '../src/privacy/deps.ts';
import { testConfig } from './helpers/site.ts';

// The request register on a real archive: deadlines, the extension rules of Art. 12(3),
// the state machine, and a log that names request, kind and state but no identifier.

const DAY = 86_400_000;
const NUMBER = '0151 2345 6789';
const E164 = '+4915123456789';
const CUSTOMER = 'K-778812';
const refused = (code: string, reason?: string) => (e: unknown) => isTresorError(e, code as never) && (reason === undefined || e.detail.reason === reason);

describe('request register', () => {
  let site: Site;
  let deps: PrivacyDeps;
  const by = 'user:dora';
  before(() => {
    const config = testConfig();
    site = openSite(config, { create: true });
    deps = { store: site.store, log: site.log, keys: site.keys, phone: config.phone };
  });
  after(() => site?.close());

  it('opens a request due one calendar month after receipt, with only tokens and sealed identifiers in the row', async () => {
    const receivedAt = new Date(2026, 0, 31, 9, 30).getTime();
    const r = await openRequest(deps, by, { kind: 'access', number: NUMBER, customerId: CUSTOMER, receivedAt, channel: 'letter', now: receivedAt + DAY });
    assert.equal(r.state, 'received');
    assert.equal(r.dueAt, new Date(2026, 1, 28, 23, 59, 59, 999).getTime());
    assert.deepEqual(r.tokens.map((t) => t.kind), ['phone', 'customer']);
    assert.equal(r.tokens[0]!.token, site.keys.tokenize('phone', E164));
    const stored = JSON.stringify(site.store.requests.get(r.id));
    assert.ok(!stored.includes('23456789') && !stored.includes(CUSTOMER), 'no identifier in clear in the row');
    // sealed under the request's own key (src/privacy/request-key.ts), which the purge can destroy
    assert.deepEqual(JSON.parse(openForRequest(site.keys, r.id, r.identifiers)), { number: E164, customerId: CUSTOMER });
    assert.deepEqual(site.store.requests.idsByToken('phone', site.keys.tokenize('phone', E164)), [r.id]);
  });

  it('refuses an unknown kind, no identifier, an unreadable number, a future receipt', async () => {
    await assert.rejects(openRequest(deps, by, { kind: 'gossip', number: NUMBER }), refused('E_INVALID'));
    await assert.rejects(openRequest(deps, by, { kind: 'access' }), refused('E_INVALID', 'no-identifier'));
    await assert.rejects(openRequest(deps, by, { kind: 'access', number: 'not a number' }), refused('E_INVALID'));
    await assert.rejects(openRequest(deps, by, { kind: 'access', number: NUMBER, receivedAt: Date.now() + 2 * DAY }), refused('E_INVALID'));
  });

  it('extends by 1 or 2 months only with a reason and a notice sent within the first month', async () => {
    const receivedAt = new Date(2026, 0, 31, 12).getTime();
    const now = new Date(2026, 1, 20).getTime();
    const r = await openRequest(deps, by, { kind: 'erasure', number: NUMBER, receivedAt, now });
    const ext = (o: Partial<Parameters<typeof extendRequest>[3]>) => extendRequest(deps, by, r.id, { months: 2, reason: 'many calls over 4 years', notifiedAt: new Date(2026, 1, 10).getTime(), now, ...o });
    await assert.rejects(ext({ reason: '  ' }), refused('E_INVALID'));
    await assert.rejects(ext({ months: 3 }), refused('E_INVALID'));
    await assert.rejects(ext({ months: 0 }), refused('E_INVALID'));
    // told on 1 March: after the first month (which ended on 28 February)
    await assert.rejects(ext({ notifiedAt: new Date(2026, 2, 1, 10).getTime(), now: new Date(2026, 2, 2).getTime() }), refused('E_INVALID', 'notice-too-late'));
    await assert.rejects(ext({ notifiedAt: now + 5 * DAY }), refused('E_INVALID', 'notice-in-future'));
    assert.equal(site.store.requests.get(r.id)!.extension, null, 'nothing written by a refused extension');
    const one = await ext({ months: 1 });
    assert.equal(one.dueAt, dueAfter(receivedAt, 2));
    assert.equal(new Date(one.dueAt).getDate(), 31); // 31 Jan + 2 months: 31 March
    await assert.rejects(ext({ months: 1 }), refused('E_CONFLICT', 'already-extended'));
    const two = await ext({ months: 2 });
    assert.equal(two.dueAt, new Date(2026, 3, 30, 23, 59, 59, 999).getTime());
    assert.equal(two.firstDueAt, r.firstDueAt);
    assert.notEqual(two.extension!.reason, 'many calls over 4 years', 'the reason is sealed');
  });

  it('walks received → identity-verified → in-progress → answered; refuses out-of-order steps; refusal needs a reason', async () => {
    const r = await openRequest(deps, by, { kind: 'access', number: NUMBER });
    await assert.rejects(closeRequest(deps, by, r.id, { outcome: 'answered' }), refused('E_CONFLICT', 'state'));
    await assert.rejects(startRequest(deps, by, r.id), refused('E_CONFLICT', 'state'));
    const v = await verifyIdentity(deps, 'user:dan', r.id, { method: 'call-back to the number on file' });
    assert.equal(v.state, 'identity-verified');
    assert.equal(v.identity!.by, 'user:dan');
    await assert.rejects(verifyIdentity(deps, by, r.id, { method: 'again' }), refused('E_CONFLICT'));
    assert.equal((await startRequest(deps, by, r.id)).state, 'in-progress');
    assert.equal((await closeRequest(deps, by, r.id, { outcome: 'answered' })).state, 'answered');
    await assert.rejects(withdrawRequest(deps, by, r.id), refused('E_CONFLICT'));

    const q = await openRequest(deps, by, { kind: 'rectification', customerId: CUSTOMER });
    await assert.rejects(closeRequest(deps, by, q.id, { outcome: 'refused' }), refused('E_INVALID'));
    await assert.rejects(closeRequest(deps, by, q.id, { outcome: 'ignored' }), refused('E_INVALID'));
    const no = await closeRequest(deps, by, q.id, { outcome: 'refused', reason: 'identity could not be established' });
    assert.equal(no.state, 'refused');
    assert.ok(no.closeReason && no.closeReason !== 'identity could not be established');
    const w = await openRequest(deps, by, { kind: 'objection', number: NUMBER });
    assert.equal((await withdrawRequest(deps, by, w.id)).state, 'withdrawn');
  });

  it('lists open and overdue requests by due date', async () => {
    const old = await openRequest(deps, by, { kind: 'complaint', number: NUMBER, receivedAt: Date.now() - 40 * DAY });
    const open = listRequests(deps, { open: true });
    assert.ok(open.every((r) => ['received', 'identity-verified', 'in-progress'].includes(r.state)));
    assert.deepEqual(open.map((r) => r.dueAt), [...open.map((r) => r.dueAt)].sort((a, b) => a - b));
    assert.deepEqual(listRequests(deps, { overdue: true }).map((r) => r.id).includes(old.id), true);
    assert.ok(listRequests(deps, { overdue: true }).every((r) => r.dueAt < Date.now()));
  });

  it('logs every transition with request id, kind and state, and no number or customer id', () => {
    const entries = site.log.entries(0, site.log.size()).filter((e) => e.action.startsWith('request.'));
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['request.opened', 'request.identity-verified', 'request.in-progress', 'request.extended', 'request.answered', 'request.refused', 'request.withdrawn']) assert.ok(actions.has(a), a);
    for (const e of entries) {
      assert.match(e.target, /^request:[0-9A-Z]+$/);
      assert.ok(typeof e.detail.kind === 'string' && typeof e.detail.state === 'string');
    }
    const lines = JSON.stringify(site.log.entries(0, site.log.size()));
    for (const digits of ['23456789', '4915123456789', '778812', 'many calls', 'identity could not']) assert.ok(!lines.includes(digits), `log holds ${digits}`);
  });
});
