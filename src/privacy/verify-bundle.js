// Tresor evidence bundle verifier; needs node (>= 18) and nothing else. Keep your own copy.
// Run: node verify-bundle.mjs [BUNDLE_DIR] [--vkey YOUR_LOG_VKEY_FILE] [--policy YOUR_WITNESS_POLICY]
// Exit 0 VERIFIED, 1 NOT VERIFIED (a check failed), 2 cannot run.
//
// What it checks: every file against manifest.json (SHA-256 and size); the checkpoint's
// Ed25519 signature by the log key (C2SP signed-note); each inclusion proof in
// inclusion.json under that checkpoint's root (RFC 9162 §2.1.3.2); that the export entry
// names this manifest's SHA-256 and call count; that every call has a proven ingest entry
// whose stored size equals the audio file's size; that every proven entry other than the
// export entry is a line of log-slice.jsonl. With --policy (the file verify.mjs takes:
// lines `witness NAME+KEYID+KEY` and `quorum N`), the witness cosignatures of the
// checkpoint (C2SP tlog-cosignature/v1), checked by the log verifier's own code (inlined
// below): fewer valid ones than the quorum is a failure. Without a policy the cosignature
// lines are listed, not trusted: anyone can add a line, only your policy says whose count.
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/*@@CORE@@*/

const args = process.argv.slice(2);
let dirArg = null;
let vkeyFile = null;
let policyFile = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--vkey' && args[i + 1] !== undefined) vkeyFile = args[++i];
  else if (args[i] === '--policy' && args[i + 1] !== undefined) policyFile = args[++i];
  else if (!args[i].startsWith('-') && dirArg === null) dirArg = args[i];
  else {
    console.error('usage: node verify-bundle.mjs [BUNDLE_DIR] [--vkey YOUR_LOG_VKEY_FILE] [--policy YOUR_WITNESS_POLICY]');
    process.exit(2);
  }
}
let policy = null;
if (policyFile !== null) {
  try {
    policy = new Uint8Array(readFileSync(policyFile));
  } catch (e) {
    console.error(`verify-bundle: cannot read --policy ${policyFile}: ${e.code ?? e.message}`);
    process.exit(2);
  }
}
const dir = resolve(dirArg ?? dirname(fileURLToPath(import.meta.url)));
for (const f of ['manifest.json', 'checkpoint', 'inclusion.json', 'log-slice.jsonl']) {
  if (!existsSync(join(dir, f))) {
    console.error(`verify-bundle: ${dir} is not a Tresor evidence bundle (no ${f})`);
    process.exit(2);
  }
}
const failures = [];
const fail = (what, why) => failures.push(`${what}: ${why}`);
const ok = (what) => console.log(`ok    ${what}`);
const sha = (b) => createHash('sha256').update(b).digest();
const hex = (b) => Buffer.from(b).toString('hex');
const read = (name) => readFileSync(join(dir, name));

// 1. the files against the manifest
const manifestBytes = read('manifest.json');
const manifest = JSON.parse(manifestBytes.toString('utf8'));
let fileFailures = 0;
for (const f of manifest.files ?? []) {
  const p = resolve(dir, f.path);
  if (!p.startsWith(dir + sep)) { fail('files', `${f.path} points outside the bundle`); fileFailures++; continue; }
  if (!existsSync(p)) { fail('files', `${f.path} is missing`); fileFailures++; continue; }
  const b = readFileSync(p);
  if (b.length !== f.bytes || hex(sha(b)) !== f.sha256) { fail('files', `${f.path} does not match manifest.json (changed since export)`); fileFailures++; }
}
if (!fileFailures) ok(`files: ${manifest.files.length} files match manifest.json`);

// 2. the checkpoint, signed by the log key
const inc = JSON.parse(read('inclusion.json').toString('utf8'));
const vkey = (vkeyFile ? readFileSync(vkeyFile, 'utf8') : inc.vkey).trim();
const vm = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
let root = null;
let size = null;
let signedBy = null;
// RFC 8410: an Ed25519 SubjectPublicKeyInfo is this 12-byte prefix and the raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
if (!vm) fail('vkey', 'not a C2SP vkey line name+hex+base64');
else {
  const [, name, idHex, keyB64] = vm;
  const key = Buffer.from(keyB64, 'base64');
  const keyId = sha(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a]), key])).subarray(0, 4);
  if (key.length !== 33 || key[0] !== 0x01 || hex(keyId) !== idHex) fail('vkey', 'key ID does not match name and key');
  else {
    const note = read('checkpoint').toString('utf8');
    const split = note.lastIndexOf('\n\n');
    const text = note.slice(0, split + 1);
    const sigLines = split < 0 ? [] : note.slice(split + 2).split('\n').filter(Boolean);
    const pub = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, key.subarray(1)]), format: 'der', type: 'spki' });
    let good = 0;
    for (const l of sigLines) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(l);
      if (!m || m[1] !== name) continue;
      const sig = Buffer.from(m[2], 'base64');
      if (sig.length !== 68 || hex(sig.subarray(0, 4)) !== idHex) continue;
      if (edVerify(null, Buffer.from(text, 'utf8'), pub, sig.subarray(4))) good++;
      else fail('signature', `invalid signature by ${name}`);
    }
    const lines = text.split('\n');
    if (!good) fail('signature', `no valid signature by ${name}+${idHex}`);
    else if (lines[0] !== name) fail('checkpoint', `origin ${lines[0]} is not the key name ${name}`);
    else {
      size = Number(lines[1]);
      root = Buffer.from(lines[2] ?? '', 'base64');
      ok(`signature: checkpoint of size ${size} signed by ${name}; ${sigLines.length - 1} further (witness) signature line(s)`);
      if (size !== inc.treeSize) fail('checkpoint', `inclusion.json is for size ${inc.treeSize}, the checkpoint says ${size}`);
      signedBy = { name, idHex };
    }
  }
}

// 2b. witness cosignatures (C2SP tlog-cosignature/v1) against your policy, as verify.mjs
// --policy checks them (tresorCheckQuorum, the same code)
if (signedBy) await checkWitnesses(signedBy);
async function checkWitnesses(log) {
  const noteBytes = new Uint8Array(read('checkpoint'));
  const note = tresorOpenNote(noteBytes);
  if (note.error) return fail('witnesses', `the checkpoint: ${note.error}`);
  const others = note.sigs.filter((s) => !(s.name === log.name && hex(s.keyId) === log.idHex));
  const found = others.map((s) => `${s.name}+${hex(s.keyId)}`);
  console.log(`      cosignatures in the checkpoint: ${found.length ? found.join(', ') : 'none'}`);
  if (!policy) {
    console.log(`      not checked: give your witness policy (node verify-bundle.mjs DIR --policy YOUR_WITNESS_POLICY)`);
    return;
  }
  const env = {
    sha256Many: (list) => list.map((b) => new Uint8Array(sha(b))),
    ed25519: (pub, msg, sig) => edVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' }), sig),
  };
  const report = tresorReport();
  await tresorCheckQuorum(policy, noteBytes, env, tresorHashing(env), report);
  const known = [];
  const parsed = await tresorParsePolicy(policy, tresorHashing(env));
  if (!parsed.error) for (const w of parsed.witnesses) known.push(`${w.name}+${w.keyIdHex}`);
  const outside = found.filter((f) => !known.includes(f));
  if (!parsed.error) {
    console.log(`      checked against your policy: ${found.length - outside.length} of ${found.length}` +
      (outside.length ? ` (not in your policy, ignored: ${outside.join(', ')})` : ''));
  }
  for (const c of report.result().checks) {
    if (c.ok) ok(`${c.name}: ${c.info}`);
    else {
      for (const m of c.messages) fail(c.name, m);
      if (c.more) fail(c.name, `… and ${c.more} more`);
    }
  }
}

// 3. the inclusion proofs (RFC 9162 §2.1.3.2)
function included(index, treeSize, hash, path) {
  if (index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = sha(Buffer.concat([Buffer.from([1]), p, r]));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else r = sha(Buffer.concat([Buffer.from([1]), r, p]));
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.compare(r, root) === 0;
}
const proven = new Map();
if (root) {
  let bad = 0;
  for (const p of inc.proofs ?? []) {
    const leaf = sha(Buffer.concat([Buffer.from([0]), Buffer.from(p.entry, 'utf8')]));
    if (!included(p.seq, size, leaf, p.proof.map((h) => Buffer.from(h, 'hex')))) { fail('inclusion', `entry ${p.seq} is not in the log under the checkpoint`); bad++; continue; }
    proven.set(p.seq, JSON.parse(p.entry));
  }
  if (!bad) ok(`inclusion: ${proven.size} entries proven under the checkpoint`);
}

// 4. what the proven entries say about this bundle
const slice = new Set(read('log-slice.jsonl').toString('utf8').split('\n').filter(Boolean));
const exp = proven.get(inc.exportSeq);
if (!exp || exp.action !== 'bundle.exported') fail('export entry', 'the bundle.exported entry is not proven');
else if (exp.detail?.manifestSha256 !== hex(sha(manifestBytes))) fail('export entry', 'the export entry names a different manifest.json');
else if (exp.detail?.calls !== (manifest.calls ?? []).length) fail('export entry', 'the export entry names a different number of calls');
else ok(`export entry ${inc.exportSeq}: names this manifest and ${exp.detail.calls} call(s), case ${exp.detail.caseRef}`);
for (const p of inc.proofs ?? []) if (p.seq !== inc.exportSeq && !slice.has(p.entry)) fail('log slice', `proven entry ${p.seq} is not in log-slice.jsonl`);
let calls = 0;
for (const c of manifest.calls ?? []) {
  const ingest = [...proven.values()].find((e) => e.target === `recording:${c.id}` && e.action === 'recording.ingested');
  const audio = join(dir, c.audio);
  if (!ingest) fail('calls', `${c.id}: no proven ingest entry`);
  else if (!existsSync(audio) || statSync(audio).size !== ingest.detail.storedBytes) fail('calls', `${c.id}: the audio is not the size the ingest entry logged`);
  else calls++;
}
if (calls === (manifest.calls ?? []).length) ok(`calls: ${calls} call(s), each with a proven ingest entry matching its audio`);

for (const f of failures) console.log(`FAIL  ${f}`);
console.log(failures.length ? `NOT VERIFIED: ${failures.length} problem(s)` : 'VERIFIED');
process.exit(failures.length ? 1 : 0);
