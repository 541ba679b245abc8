import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { webSite, type WebSite } from './helpers/web.ts';
import { openRequest, verifyIdentity } from '../src/privacy/requests.ts';
import { requestErasure } from '../src/privacy/erasure.ts';
import { certificatePath } from '../src/privacy/certificate.ts';
import { addHold } from '../src/retention/holds.ts';
import { decide } from '../src/approvals/index.ts';
import { approvalRegistry } from '../src/site/approvals.ts';
import { verifyNote } from '../src/crypto/signing.ts';
import { fromHex, verifyInclusion, parseCheckpoint } from '../src/audit/index.ts';
import type { PrivacyDeps } from '../src/privacy/deps.ts';

// Art. 17 erasure on a real archive (real ffmpeg ingest, real LMDB): a held call is an
// exception, the requester cannot approve, a second dpo's approval shreds the rest with the
// request id in the log, and the certificate's checkpoint and inclusion proofs verify.

const DAY = 86_400_000;
const CALLER = '015120000007';
function name(daysAgo: number, n: number, from: string): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642511${p(n)}.${n}.wav`;
}

describe('erasure (Art. 17)', () => {
  let w: WebSite;
  let deps: PrivacyDeps;
  const ids: string[] = [];
  before(async () => {
    w = await webSite();
    deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone };
    for (let i = 1; i <= 3; i++) ids.push(await w.ingestCall(name(i, i, CALLER), { seconds: 1, source: 'noise' }, { queue: 'support' }));
  });
  after(() => w?.close());

  it('mass guard, held exception, four eyes, shred with request id, verifiable certificate', async () => {
    const hold = await addHold(w.site.store, w.site.log, 'user:dora', { caseName: 'case', reason: 'r', ids: [ids[0]!] });
    const req = await openRequest(deps, 'user:dora', { kind: 'erasure', number: '+49 151 20000007' });
    await assert.rejects(requestErasure(deps, 'user:dora', req.id), /identity-verified/);
    await verifyIdentity(deps, 'user:dora', req.id, { method: 'call-back' });
    await assert.rejects(requestErasure(deps, 'user:dora', req.id, { maxCalls: 1 }), (e: { detail?: { reason?: string } }) => e.detail?.reason === 'mass-erasure');
    const { approval, plan } = await requestErasure(deps, 'user:dora', req.id, { person: 'dora' });
    assert.deepEqual(plan.exceptions.map((e) => [e.id, e.reason, e.hold]), [[ids[0], 'legal-hold', hold.id]]);
    assert.deepEqual(plan.erase, [ids[1], ids[2]].sort());
    await assert.rejects(decide(w.site.store, w.site.log, approval.id, { by: 'user:dora', person: 'dora', roles: ['dpo'], approve: true }), /four-eyes/);
    const ok = await decide(w.site.store, w.site.log, approval.id, { by: 'user:erik', person: 'erik', roles: ['dpo'], approve: true });
    const { result } = await approvalRegistry(w.site, w.config).execute(w.site.store, ok, 'user:erik');
    assert.equal(result.outcome, 'partial');
    assert.ok(w.site.store.recordings.get(ids[0]!));
    for (const id of plan.erase) assert.equal(w.site.store.recordings.get(id), undefined);
    assert.equal(w.site.store.requests.get(req.id)!.state, 'answered');
    const purged = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'recording.purged');
    assert.deepEqual(purged.map((e) => (e.detail as Record<string, unknown>).request), [req.id, req.id]);

    const cert = JSON.parse(readFileSync(certificatePath(w.config.dataDir, req.id, 'json'), 'utf8'));
    assert.deepEqual([...cert.erased].sort(), plan.erase);
    assert.deepEqual(cert.kept.map((k: { id: string }) => k.id), [ids[0]]);
    assert.ok(cert.log.entries.length >= 4);
    const opened = verifyNote(cert.log.checkpoint.note, w.site.log.vkey);
    assert.equal(opened.ok, true);
    const cp = parseCheckpoint((opened as { text: string }).text);
    for (const e of cert.log.entries) {
      assert.ok(e.seq < cp.size);
      assert.ok(verifyInclusion(fromHex(e.leafHash), e.seq, cp.size, e.inclusionProof.map(fromHex), cp.root), `entry ${e.seq}`);
    }
    assert.doesNotMatch(JSON.stringify(cert), /20000007/);
    const pdf = certificatePath(w.config.dataDir, req.id, 'pdf');
    assert.ok(existsSync(pdf));
    const t = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
    if (t.error) return; // pdftotext missing: the JSON checks above stand
    assert.match(t.stdout, new RegExp(`Erasure certificate for request ${req.id}`));
    for (const id of plan.erase) assert.match(t.stdout, new RegExp(id));
  });
});
