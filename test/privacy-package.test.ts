import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webSite, makeUser, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { releasePackage, openRequest, verifyIdentity, readManifest, type PrivacyDeps } from '../src/privacy/index.ts';
import { fromHex, parseCheckpoint, verifyInclusion } from '../src/audit/index.ts';
import { verifyNote } from '../src/crypto/signing.ts';

// Issue 11 item 3, the access package (Art. 15) on a real archive (real ffmpeg ingest):
// audio that ffprobe decodes, files matching the manifest, one logged access per call
// before the export entry, whose inclusion proof verifies under the signed checkpoint;
// the access history names roles, not colleagues; an unverified request is refused.

const hasFfprobe = spawnSync('ffprobe', ['-version']).error === undefined;
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined;
const DAY = 86_400_000;
const CALLER = '015120000099';
function name(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${CALLER}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642544${p(n)}.${n}.wav`;
}

describe('access package (Art. 15)', () => {
  let w: WebSite;
  let deps: PrivacyDeps;
  const ids: string[] = [];
  before(async () => {
    w = await webSite((c) => { c.privacy.controller = { name: 'Musterfirma GmbH', address: 'Hauptstraße 1, Berlin', email: 'info@muster.example' }; c.privacy.purposes = ['Qualitätssicherung']; });
    deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone };
    await makeUser(w, 'sue', ['supervisor']);
    for (let i = 1; i <= 2; i++) ids.push(await w.ingestCall(name(i, i), { seconds: 2, source: 'noise' }));
    ids.sort();
  });
  after(() => w?.close());

  const dora = { kind: 'user' as const, name: 'dora', actor: 'user:dora', roles: ['dpo' as const] };
  const settings = () => ({ dataDir: w.config.dataDir, controller: w.config.privacy.controller, dpo: w.config.privacy.dpo, purposes: w.config.privacy.purposes });

  it('builds a verifiable package of the subject\'s calls', async () => {
    // a colleague played one call: the history must show the role, not "sue"
    const sue = { kind: 'user' as const, name: 'sue', actor: 'user:sue', roles: ['supervisor' as const] };
    await w.access.readAudio(sue, ids[0]!, 'recording.played');
    const r = await openRequest(deps, 'user:dora', { kind: 'access', number: `+49${CALLER.slice(1)}` });
    await assert.rejects(releasePackage({ ...deps, log: w.site.log, access: w.access }, dora, r.id, { settings: settings() }),
      /needs the identity verified first/);
    await verifyIdentity(deps, 'user:dora', r.id, { method: 'id card' });
    const before = w.site.log.size();
    const res = await releasePackage({ ...deps, log: w.site.log, access: w.access }, dora, r.id, { lang: 'de', settings: settings() });
    const out = res.dir;
    assert.deepEqual(res.calls, ids);

    // every file matches the manifest; the audio decodes
    const m = await readManifest(out);
    assert.ok(m.files.length >= ids.length * 2 + 4, JSON.stringify(m.files.map((f) => f.path)));
    for (const f of m.files) {
      const b = readFileSync(join(out, f.path));
      assert.equal(createHash('sha256').update(b).digest('hex'), f.sha256, f.path);
      assert.equal(b.length, f.bytes, f.path);
    }
    if (hasFfprobe) {
      for (const id of ids) {
        const p = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', join(out, 'calls', `${id}.ogg`)], { encoding: 'utf8' });
        assert.equal(p.status, 0, p.stderr);
        assert.equal(p.stdout.trim(), 'opus');
      }
    }
    const meta = JSON.parse(readFileSync(join(out, 'calls', `${ids[0]}.json`), 'utf8')) as { from: string };
    assert.match(meta.from, /20000099/, 'the subject gets their own numbers');

    // one access entry per call before the export entry; that entry is proven under the checkpoint
    const entries = w.site.log.entries(before, w.site.log.size());
    const exportAt = entries.findIndex((e) => e.action === 'request.package.exported');
    assert.ok(exportAt > 0);
    for (const id of ids) assert.ok(entries.slice(0, exportAt).some((e) => e.action === 'recording.exported' && e.target === `recording:${id}`), id);
    assert.doesNotMatch(JSON.stringify(entries[exportAt]), /20000099/);
    const inc = JSON.parse(readFileSync(join(out, 'inclusion.json'), 'utf8')) as { seq: number; treeSize: number; leafHash: string; proof: string[]; vkey: string; entry: string };
    assert.match(inc.entry, new RegExp(createHash('sha256').update(readFileSync(join(out, 'manifest.json'))).digest('hex')), 'the entry names the manifest');
    const note = readFileSync(join(out, 'checkpoint'), 'utf8');
    const opened = verifyNote(note, inc.vkey);
    assert.equal(opened.ok, true, 'the checkpoint is signed by the log key named in inclusion.json');
    const cp = parseCheckpoint((opened as { text: string }).text);
    assert.equal(cp.size, inc.treeSize);
    assert.ok(verifyInclusion(fromHex(inc.leafHash), inc.seq, inc.treeSize, inc.proof.map(fromHex), cp.root));

    // the history: roles, not names
    const hist = readFileSync(join(out, 'access-history.csv'), 'utf8');
    assert.match(hist, /recording\.played,supervisor/);
    assert.doesNotMatch(hist, /\bsue\b|dora/);
    if (hasPdftotext) {
      const text = spawnSync('pdftotext', [join(out, 'cover-letter.pdf'), '-'], { encoding: 'utf8' }).stdout;
      assert.match(text, /Auskunft nach Art\. 15 DSGVO/);
      assert.match(text, /Musterfirma GmbH/);
      assert.match(text, /Widerspruch\s+\(Art\. 21\)/);
    }
    for (const f of ['verify.html', 'verify.mjs', 'cover-letter.html', 'calls.csv']) assert.ok(readFileSync(join(out, f)).length > 0, f);
  });

  it('the CLI refuses an unverified request and an occupied folder with clear words', async () => {
    const r = await openRequest(deps, 'user:dora', { kind: 'access', number: `+49${CALLER.slice(1)}` });
    const x = await cli(w.config, ['request', 'package', r.id, '--out', join(mkdtempSync(join(tmpdir(), 'pkg-')), 'p')]);
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, /needs the identity verified first/);
    const y = await cli(w.config, ['request', 'package', r.id, '--out', join(w.config.dataDir)]);
    assert.notEqual(y.code, 0);
    assert.match(y.stderr, /is not empty/);
  });
});
