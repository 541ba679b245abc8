import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, createCosigner, createWitnessClient, exportAudit, type AuditLog } from '../src/audit/index.ts';
import { addCheckpointRequest } from '../src/audit/witness/witness.ts';
import { auditCommand } from '../src/cli/audit.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { TRESOR } from './helpers/site.ts';

// Issue 13 items 1-3: a real witness process on loopback (the CLI, spawned asynchronously),
// the box's witness client, and the exported verifier with a witness policy.

const dirs: string[] = [];
const temp = (p = 'tresor-witness-') => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
const signer = createNoteSigner('test.tresor/witnessed', new Uint8Array(32).fill(9));
const stores: IndexStore[] = [];
const children: ChildProcess[] = [];

function newLog(): AuditLog {
  const store = openIndex(join(temp(), 'data'));
  stores.push(store);
  return createAuditLog(store, { signer, origin: signer.name });
}
async function fill(log: AuditLog, from: number, to: number, changed = -1): Promise<void> {
  for (let i = from; i < to; i++) {
    await log.append([{ actor: 'system:test', action: 'recording.ingested', target: `rec-${i}`, detail: { n: i === changed ? 666 : i } }]);
  }
}

/** Starts `tresor witness serve` and resolves with its URL and the vkey it prints. */
function startWitness(keyFile: string, stateDir: string): Promise<{ url: string; vkey: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRESOR, ['witness', 'serve', '--key', keyFile, '--state', stateDir, '--port', '0', '--log-vkey', signer.vkey, '--name', 'witness.test/w1'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRESOR_CONFIG: '' },
    });
    children.push(child);
    let out = '';
    let err = '';
    const check = () => {
      const v = /^(\S+\+[0-9a-f]{8}\+\S+)\n/.exec(out);
      const u = /listening on (http:\/\/[^/\s]+)\/add-checkpoint/.exec(err);
      if (v && u) resolve({ url: u[1]!, vkey: v[1]!, child });
    };
    child.stdout!.on('data', (d) => ((out += d), check()));
    child.stderr!.on('data', (d) => ((err += d), check()));
    child.once('exit', (code) => reject(new Error(`witness exited ${code}: ${err}`)));
  });
}

const runNode = (args: string[]) => run(process.execPath, args);
function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRESOR_CONFIG: '' } });
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    c.once('exit', (code) => resolve({ code, out }));
  });
}
const post = async (url: string, body: string) => {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

describe('witness (C2SP tlog-witness / tlog-cosignature)', () => {
  let w: { url: string; vkey: string; child: ChildProcess };
  let witnessDir: string;
  let log: AuditLog;
  let exportDir: string;
  let policy1: string;
  let earlier: string; // the cosigned checkpoint file an auditor kept
  const said: string[] = [];

  before(async () => {
    witnessDir = temp();
    w = await startWitness(join(witnessDir, 'witness.key'), join(witnessDir, 'state'));
    log = newLog();
    await fill(log, 0, 10);
    await log.checkpointNow();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    for (const s of stores) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the box submits, the witness cosigns, the checkpoint keeps the line, and the verifier accepts with quorum 1', async () => {
    const client = createWitnessClient({ log, witnesses: [{ url: w.url, vkey: w.vkey }], say: (s) => said.push(s) });
    await client.syncNow();
    assert.equal(client.status()[0]!.cosignedSize, 10, JSON.stringify(client.status()));
    await fill(log, 10, 15);
    await log.checkpointNow();
    await client.syncNow(); // old 10, consistency proof 10 → 15
    const st = client.status()[0]!;
    assert.equal(st.cosignedSize, 15, JSON.stringify(st));
    assert.equal(st.behind, false);
    assert.equal(st.alarm, null);
    assert.deepEqual(client.quorum(), { have: 1, need: 1, size: 15 });

    exportDir = join(temp(), 'export');
    await exportAudit(log, exportDir);
    const cp = readFileSync(join(exportDir, 'checkpoint'), 'utf8');
    const sigs = cp.slice(cp.lastIndexOf('\n\n') + 2).trimEnd().split('\n');
    assert.equal(sigs.length, 2, cp);
    assert.ok(sigs[0]!.startsWith(`— ${signer.name} `), 'the box signature line comes first');
    assert.ok(sigs[1]!.startsWith('— witness.test/w1 '), 'then the cosignature');
    earlier = join(temp(), 'kept-checkpoint');
    writeFileSync(earlier, cp);
    policy1 = join(temp(), 'policy');
    writeFileSync(policy1, `# my witnesses\nwitness ${w.vkey}\nquorum 1\n`);
    const r = await runNode([join(exportDir, 'verify.mjs'), exportDir, '--policy', policy1]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /ok {4}witnesses: 1 of 1 cosigned \(quorum 1\): witness\.test\/w1 at /);
  });

  it('quorum 2 with one cosignature is rejected', async () => {
    const other = createCosigner('witness.test/w2', new Uint8Array(32).fill(3));
    const policy2 = join(temp(), 'policy2');
    writeFileSync(policy2, `witness ${w.vkey}\nwitness ${other.vkey}\nquorum 2\n`);
    const r = await runNode([join(exportDir, 'verify.mjs'), exportDir, '--policy', policy2]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL {2}witnesses: cosigned by 1 of the 2 witnesses in your policy, 2 required/);
  });

  it('a tampered cosignature or checkpoint fails the policy check', async () => {
    const d = join(temp(), 'export');
    await exportAudit(log, d);
    const cp = readFileSync(join(d, 'checkpoint'), 'utf8');
    // flip one byte of the Ed25519 signature inside the cosignature line
    const lines = cp.split('\n');
    const i = lines.findIndex((l) => l.startsWith('— witness.test/w1 '));
    const raw = Buffer.from(lines[i]!.split(' ')[2]!, 'base64');
    raw[40] = raw[40]! ^ 1;
    lines[i] = `— witness.test/w1 ${raw.toString('base64')}`;
    writeFileSync(join(d, 'checkpoint'), lines.join('\n'));
    const r = await runNode([join(d, 'verify.mjs'), d, '--policy', policy1]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL {2}witnesses: the cosignature by witness\.test\/w1 does not verify/);
  });

  it('a log rewritten and re-signed with the box key is refused by the witness (409, 422) and by the verifier given the earlier cosigned checkpoint (split view)', async () => {
    const forged = newLog();
    await fill(forged, 0, 15, 3); // entry 3 says something else; same key signs
    const cp = await forged.checkpointNow();
    assert.equal(cp.size, 15);

    // The witness's own answer: same size, other root → 409 (and old 0 → 409 with its size).
    const same = await post(w.url, addCheckpointRequest(15, [], cp.note));
    assert.equal(same.status, 409, same.text);
    assert.match(same.text, /split view/);
    const fresh = await post(w.url, addCheckpointRequest(0, [], cp.note));
    assert.equal(fresh.status, 409);
    assert.equal(fresh.type, 'text/x.tlog.size');
    assert.equal(fresh.text, '15\n');

    // The forged box's client: discovers size 15, then 409 → an alarm, logged, not retried.
    const alarms: string[] = [];
    const client = createWitnessClient({ log: forged, witnesses: [{ url: w.url, vkey: w.vkey }], say: (s) => alarms.push(s), backoffMs: 1 });
    await client.syncNow();
    const st = client.status()[0]!;
    assert.match(st.alarm ?? '', /^409: /, JSON.stringify(st));
    assert.equal(st.cosignedSize, null);
    assert.match(alarms.join('\n'), /ALARM witness witness\.test\/w1 refused checkpoint 15/);
    const logged = forged.entries(0, forged.size()).filter((e) => e.action === 'witness.conflict');
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0]!.detail, { status: 409, size: 15 });
    await forged.checkpointNow();
    await client.syncNow();
    assert.equal(forged.entries(0, forged.size()).filter((e) => e.action === 'witness.conflict').length, 1, 'never retried silently');

    // The verifier, given the auditor's earlier cosigned checkpoint, sees two histories.
    const d = join(temp(), 'forged-export');
    await exportAudit(forged, d);
    const r = await runNode([join(d, 'verify.mjs'), d, '--checkpoint', earlier, '--policy', policy1]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL {2}your checkpoint: your checkpoint \(size 15\) has root .* but these entries give .* the log showed you a different history/);
    assert.match(r.out, /FAIL {2}witnesses: cosigned by 0 of the 1/);

    // Grown further with a proof from its own (forged) tree: the proof fails at the witness → 422.
    const proof = forged.consistencyProof(15, forged.size());
    const grown = forged.latestCheckpoint()!;
    const bad = await post(w.url, addCheckpointRequest(15, proof, grown.note));
    assert.equal(bad.status, 422, bad.text);
  });

  it('split view: two checkpoints of the same size with different roots are detected by the verifier', async () => {
    const forged = newLog();
    await fill(forged, 0, 15, 7);
    const d = join(temp(), 'split');
    await exportAudit(forged, d);
    const r = await runNode([join(d, 'verify.mjs'), d, '--checkpoint', earlier]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /two checkpoints for size 15 with different roots/);
  });

  it('refuses what it must: unknown origin 404, a foreign signature 403, old beyond size 400', async () => {
    const stranger = createNoteSigner('other.log/x', new Uint8Array(32).fill(1));
    const note = stranger.sign('other.log/x\n1\n' + Buffer.alloc(32).toString('base64') + '\n');
    assert.equal((await post(w.url, addCheckpointRequest(0, [], note))).status, 404);
    const impostor = createNoteSigner(signer.name, new Uint8Array(32).fill(2));
    const cp = log.latestCheckpoint()!;
    const body = cp.note.slice(0, cp.note.indexOf('\n\n') + 1);
    assert.equal((await post(w.url, addCheckpointRequest(15, [], impostor.sign(body)))).status, 403);
    assert.equal((await post(w.url, addCheckpointRequest(16, [], cp.note))).status, 400);
  });

  it('a restarted witness remembers what it cosigned (same key, same state folder)', async () => {
    const cosigned = log.latestCheckpoint()!;
    w.child.kill('SIGTERM');
    await new Promise((r) => w.child.once('exit', r));
    const again = await startWitness(join(witnessDir, 'witness.key'), join(witnessDir, 'state'));
    assert.equal(again.vkey, w.vkey, 'the key file is reused, not replaced');
    const r = await post(again.url, addCheckpointRequest(0, [], cosigned.note));
    assert.equal(r.status, 409);
    assert.equal(r.text, '15\n');
    w = again;
  });

  it('file mode: witness sign on a request file, audit cosign-import on the box', async () => {
    const wd = temp();
    const keyFile = join(wd, 'air.key');
    await fill(log, 15, 18);
    const cp = await log.checkpointNow();
    const req = join(wd, 'request');
    writeFileSync(req, addCheckpointRequest(0, [], cp.note));
    const out = join(wd, 'cosigned');
    const vk = await run(TRESOR, ['witness', 'vkey', '--key', keyFile, '--name', 'air.gap/w3']);
    assert.equal(vk.code, 0, vk.out);
    const airVkey = vk.out.trim();
    const signed = await run(TRESOR, ['witness', 'sign', req, '--key', keyFile, '--state', join(wd, 'state'), '--log-vkey', signer.vkey, '--out', out]);
    assert.equal(signed.code, 0, signed.out);
    const lines: string[] = [];
    const code = await auditCommand(['cosign-import', out], { log, out: (s) => lines.push(s), err: (s) => lines.push(s), witnesses: [{ url: null, vkey: airVkey }] });
    assert.equal(code, 0, lines.join('\n'));
    assert.match(lines.join('\n'), /checkpoint 18: 1 cosignature\(s\) verified, 1 new stored/);
    assert.match(log.latestCheckpoint()!.note, /\n— air\.gap\/w3 /);
    // the same request again: the witness has cosigned 18 since, so old 0 is a conflicting old size
    const again = await run(TRESOR, ['witness', 'sign', req, '--key', keyFile, '--state', join(wd, 'state'), '--log-vkey', signer.vkey, '--out', out]);
    assert.equal(again.code, 1, 'old 0 after cosigning 18 is a conflicting old size');
    assert.match(again.out, /refused \(409\)/);
  });
});

describe('the service submits its checkpoints to log.witnesses', () => {
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  it('a running service gets its latest checkpoint cosigned by a witness process', async () => {
    const { startService } = await import('../src/service.ts');
    const { testConfig } = await import('./helpers/site.ts');
    const { createServer } = await import('node:net');
    const wd = temp();
    const keyFile = join(wd, 'svc-witness.key');
    const vk = await run(TRESOR, ['witness', 'vkey', '--key', keyFile, '--name', 'witness.test/svc']);
    assert.equal(vk.code, 0, vk.out);
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const c = testConfig();
    dirs.push(join(c.dataDir, '..'));
    c.log.witnesses = [{ url: `http://127.0.0.1:${port}`, vkey: vk.out.trim() }];
    const svc = await startService(c, () => undefined);
    try {
      const child = spawn(TRESOR, ['witness', 'serve', '--key', keyFile, '--state', join(wd, 'state'), '--port', String(port), '--log-vkey', svc.site.log.vkey], { stdio: 'ignore', env: { ...process.env, TRESOR_CONFIG: '' } });
      children.push(child);
      await svc.site.log.checkpointNow();
      const size = svc.site.log.latestCheckpoint()!.size;
      const deadline = Date.now() + 60_000;
      while (svc.witnesses.status()[0]!.cosignedSize !== size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const st = svc.witnesses.status()[0]!;
      assert.equal(st.cosignedSize, size, JSON.stringify(st));
      assert.equal(st.alarm, null);
      assert.match(svc.site.log.latestCheckpoint()!.note, /\n— witness\.test\/svc /);
      assert.deepEqual(svc.witnesses.quorum(), { have: 1, need: 1, size });
    } finally {
      await svc.stop();
    }
  });
});
