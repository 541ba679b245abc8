import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, fromHex, hashLeaf, verifyConsistency, verifyInclusion, type AuditLog } from '../src/audit/index.ts';
import { auditCommand } from '../src/cli/audit.ts';
import { createNoteSigner, verifyNote } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { Hono } from 'hono';
import { errorResponse } from '../src/web/errors.ts';
import { logApi } from '../src/web/log-api.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-api-'));
  dirs.push(d);
  return d;
};
const signer = createNoteSigner('test.tresor/api', new Uint8Array(32).fill(4));
let store: IndexStore;
let log: AuditLog;
// mounted as the app mounts it, errors answered by the app's one error path
let app: { request(path: string): Response | Promise<Response> };

before(async () => {
  store = openIndex(tempDir());
  log = createAuditLog(store, { signer, origin: signer.name });
  const mounted = new Hono().route('/api/log', logApi(log));
  mounted.onError((e, c) => errorResponse(c, e));
  app = { request: (path) => mounted.request(`/api/log${path}`) };
});
after(async () => {
  await store.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('log API', () => {
  it('checkpoint_is_404_until_one_is_signed_then_a_verifiable_note', async () => {
    assert.equal((await app.request('/checkpoint')).status, 404);
    await log.append(Array.from({ length: 1200 }, (_, i) => ({ actor: 'system:ingest', action: 'recording.ingested', target: `R${i}`, detail: {} })));
    await log.checkpointNow();
    const res = await app.request('/checkpoint');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    const note = await res.text();
    assert.equal(verifyNote(note, signer.vkey).ok, true);
    assert.match(note, /^test\.tresor\/api\n1200\n/);
  });

  it('entries_are_json_lines_and_bounded', async () => {
    const res = await app.request('/entries?start=10&end=13');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /ndjson/);
    const body = await res.text();
    assert.deepEqual(body.split('\n').slice(0, -1).map((l) => JSON.parse(l).seq), [10, 11, 12]);
    assert.equal((await (await app.request('/entries?start=1190')).text()).split('\n').length - 1, 10);
    assert.equal((await (await app.request('/entries?start=0')).text()).split('\n').length - 1, 1000);
    assert.match((await (await app.request('/entries?start=0&end=1001')).json()).error.message, /at most 1000/);
  });

  it('proofs_verify_against_the_log_roots', async () => {
    const inc = await (await app.request('/proof/inclusion?index=700&size=1200')).json();
    assert.deepEqual(Object.keys(inc), ['index', 'size', 'hashes']);
    const leaf = hashLeaf(Buffer.from(log.lines(700, 701)[0]!));
    assert.ok(verifyInclusion(leaf, 700, 1200, inc.hashes.map(fromHex), log.rootHash(1200)));
    const con = await (await app.request('/proof/consistency?from=333&to=1200')).json();
    assert.deepEqual(Object.keys(con), ['old_size', 'new_size', 'hashes']);
    assert.ok(verifyConsistency(333, 1200, con.hashes.map(fromHex), log.rootHash(333), log.rootHash(1200)));
  });

  it('bad_parameters_get_400_with_a_clear_message', async () => {
    const cases: [string, RegExp][] = [
      ['/entries', /missing parameter "start"/],
      ['/entries?start=-1', /non-negative decimal integer/],
      ['/entries?start=01', /non-negative decimal integer/],
      ['/entries?start=1e3', /non-negative decimal integer/],
      ['/entries?start=5&end=2', /before start/],
      ['/entries?start=0&end=5000', /beyond the log size/],
      ['/entries?start=0&limit=5', /unknown parameter "limit"/],
      ['/entries?start=1&start=2', /more than once/],
      ['/proof/inclusion?index=5', /missing parameter "size"/],
      ['/proof/inclusion?index=1200&size=1200', /below size/],
      ['/proof/inclusion?index=1&size=99999999999999999', /non-negative decimal integer/],
      ['/proof/inclusion?index=1&size=1201', /beyond the log size/],
      ['/proof/consistency?from=0&to=5', /at least 1/],
      ['/proof/consistency?from=6&to=5', /must not exceed/],
      ['/proof/consistency?from=abc&to=5', /non-negative decimal integer/],
    ];
    for (const [url, pattern] of cases) {
      const res = await app.request(url);
      assert.equal(res.status, 400, url);
      const { error } = await res.json();
      assert.equal(error.code, 'E_INVALID', url);
      assert.match(error.message, pattern, url);
    }
  });
});

describe('audit CLI', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await auditCommand(args, { log, out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('verify_checkpoint_and_export', async () => {
    const v = await run(['verify']);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /ok: 1200 entries/);
    await log.append([{ actor: 'cli:root', action: 'audit.exported', target: '', detail: {} }]);
    const c = await run(['checkpoint']);
    assert.equal(c.code, 0);
    assert.match(c.out, /^test\.tresor\/api\n1201\n/);
    const since = join(tempDir(), 'checkpoint');
    writeFileSync(since, c.out + '\n');
    const dir = join(tempDir(), 'export');
    const e = await run(['export', '--out', dir, '--since', since, '--from', '1000']);
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /key fingerprint/);
    assert.ok(readdirSync(dir).includes('consistency.json'));
  });

  it('usage_errors_exit_2', async () => {
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['export'])).code, 2);
    assert.equal((await run(['export', '--out'])).code, 2);
    assert.equal((await run(['export', '--out', tempDir(), '--from', 'x'])).code, 2);
    assert.equal((await run(['export', '--bogus', 'x'])).code, 2);
  });

  it('verify_fails_with_exit_1_on_a_damaged_log', async () => {
    const s = openIndex(tempDir());
    const l = createAuditLog(s, { signer, origin: signer.name });
    await l.append([{ actor: 'a:b', action: 'x.y', target: 't', detail: {} }, { actor: 'a:b', action: 'x.y', target: 't', detail: {} }]);
    await s.tx(() => s.log.tamper(0, s.log.line(0)!.replace('"t"', '"u"')));
    const out: string[] = [];
    const code = await auditCommand(['verify'], { log: l, out: (x) => out.push(x), err: () => {} });
    assert.equal(code, 1);
    assert.match(out.join('\n'), /FAIL {2}entry 1: prev does not match/);
    await s.close();
  });
});
