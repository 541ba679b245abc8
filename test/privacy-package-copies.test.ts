import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { closeRequest, openPackageZip, openRequest, packageDir, packageZipPath, releasePackage, verifyIdentity, withdrawRequest, type PrivacyDeps } from '../src/privacy/index.ts';
import { shred } from '../src/retention/purge.ts';

// Issue 11: the decrypted copies an access package leaves in the data directory (its folder
// and its ZIP) do not outlive their purpose. Crypto-shredding does not reach them, so they
// are overwritten and removed as files: the folder once the ZIP is downloaded, folder and
// ZIP when the request is closed or withdrawn, and every package holding a call that is
// erased. Real ingest, real files; each removal is a log entry with ids and counts only.

const DAY = 86_400_000;
const CALLER = '015120000055';
const DIGITS = '20000055';
function name(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${CALLER}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642577${p(n)}.${n}.wav`;
}

/** every byte of what an open descriptor still sees of a removed file */
function readAll(fd: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, b, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return b.subarray(0, off);
}

describe('access package: plaintext copies are removed', () => {
  let w: WebSite;
  let deps: PrivacyDeps;
  const ids: string[] = [];
  const dora = { kind: 'user' as const, name: 'dora', actor: 'user:dora', roles: ['dpo' as const] };
  before(async () => {
    w = await webSite();
    deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone, dataDir: w.config.dataDir };
    for (let i = 1; i <= 2; i++) ids.push(await w.ingestCall(name(i, i), { seconds: 2, source: 'noise' }));
    ids.sort();
  });
  after(() => w?.close());

  const settings = () => ({ dataDir: w.config.dataDir, controller: w.config.privacy.controller, dpo: w.config.privacy.dpo, purposes: w.config.privacy.purposes });
  const released = async () => {
    const r = await openRequest(deps, 'user:dora', { kind: 'access', number: `+49${CALLER.slice(1)}` });
    await verifyIdentity(deps, 'user:dora', r.id, { method: 'id card' });
    await releasePackage({ ...deps, log: w.site.log, access: w.access }, dora, r.id, { settings: settings() });
    assert.ok(existsSync(join(packageDir(w.config.dataDir, r.id), 'calls', `${ids[0]}.ogg`)));
    assert.ok(existsSync(packageZipPath(w.config.dataDir, r.id)));
    return r.id;
  };
  const removals = (id: string) => w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'request.package.removed' && e.target === `request:${id}`);

  it('download removes the folder (overwritten first), closing removes the ZIP, both logged', async () => {
    const id = await released();
    const audio = join(packageDir(w.config.dataDir, id), 'calls', `${ids[0]}.ogg`);
    const size = statSync(audio).size;
    // a descriptor held open across the removal sees what was left in the file's blocks
    const fd = openSync(audio, 'r');
    try {
      assert.notEqual(readAll(fd, size).filter((x) => x !== 0).length, 0, 'the copy is real audio before');
      await openPackageZip(deps, 'user:dora', w.config.dataDir, id);
      assert.equal(existsSync(packageDir(w.config.dataDir, id)), false, 'the folder is gone after the download');
      assert.equal(readAll(fd, size).filter((x) => x !== 0).length, 0, 'overwritten with zeros before the unlink');
    } finally {
      closeSync(fd);
    }
    assert.ok(existsSync(packageZipPath(w.config.dataDir, id)), 'the ZIP stays for a repeated download');
    const [dl] = removals(id);
    assert.equal(dl?.detail.reason, 'downloaded');
    assert.equal(dl?.detail.zip, false);
    assert.ok((dl?.detail.files as number) >= ids.length * 2 + 4, JSON.stringify(dl));

    await closeRequest(deps, 'user:dora', id, { outcome: 'answered' });
    assert.equal(existsSync(packageZipPath(w.config.dataDir, id)), false, 'closed: the ZIP is gone');
    const all = removals(id);
    assert.equal(all.length, 2);
    assert.deepEqual({ reason: all[1]!.detail.reason, zip: all[1]!.detail.zip, files: all[1]!.detail.files }, { reason: 'closed', zip: true, files: 0 });
    assert.doesNotMatch(JSON.stringify(all), new RegExp(DIGITS), 'ids and counts only');
  });

  it('a withdrawn request loses folder and ZIP at once', async () => {
    const r = await openRequest(deps, 'user:dora', { kind: 'access', number: `+49${CALLER.slice(1)}` });
    await verifyIdentity(deps, 'user:dora', r.id, { method: 'id card' });
    await releasePackage({ ...deps, log: w.site.log, access: w.access }, dora, r.id, { settings: settings() });
    await withdrawRequest(deps, 'user:dora', r.id);
    assert.equal(existsSync(packageDir(w.config.dataDir, r.id)), false);
    assert.equal(existsSync(packageZipPath(w.config.dataDir, r.id)), false);
    assert.equal(removals(r.id).at(-1)?.detail.reason, 'closed');
  });

  it('erasing a call removes every package that holds it, also one whose folder went already', async () => {
    const a = await released();
    const b = await released();
    await openPackageZip(deps, 'user:dora', w.config.dataDir, b); // b: only the ZIP is left
    assert.equal(existsSync(packageDir(w.config.dataDir, b)), false);
    await shred({ store: w.site.store, log: w.site.log, dataDir: w.config.dataDir }, [ids[0]!], { by: 'user:dora', now: Date.now(), reason: 'request', run: null });
    for (const id of [a, b]) {
      assert.equal(existsSync(packageDir(w.config.dataDir, id)), false, id);
      assert.equal(existsSync(packageZipPath(w.config.dataDir, id)), false, id);
      const e = removals(id).at(-1)!;
      assert.equal(e.detail.reason, 'erasure');
      assert.equal(e.detail.calls, 1, 'one of its calls was erased');
    }
  });
});
