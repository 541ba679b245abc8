// ---- node host (verify.mjs) ------------------------------------------------------------
// Usage: node verify.mjs [EXPORT_DIR] [--checkpoint YOUR_CHECKPOINT] [--vkey YOUR_LOG_VKEY] [--policy YOUR_WITNESS_POLICY]
// EXPORT_DIR defaults to the folder this file is in. Keep your own copy of this file and run
// that one on each export: the copy inside an export came from the box you are checking.
// Exit 0 VERIFIED (every check passed, every entry accounted for); 1 NOT VERIFIED (a check
// failed); 2 cannot run (usage, not an export); 3 PARTIAL (every check passed, but the export
// starts after entry 0 and no checkpoint of yours covers what came before).
import * as nodeCrypto from 'node:crypto';
const { createHash, createPublicKey, verify: nodeVerify } = nodeCrypto;
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import * as nodeOs from 'node:os';
import * as nodeBuffer from 'node:buffer';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/*@@CORE@@*/

// crypto.hash (node ≥ 20.12) is a one-shot digest, several times cheaper than createHash.
const sha256 = nodeCrypto.hash ? (b) => nodeCrypto.hash('sha256', b, 'buffer') : (b) => createHash('sha256').update(b).digest();
// The entries' digests as latin1 strings: 'buffer' output allocates a backing store per
// call and costs three times as much on a 300-byte line.
const sha256Latin1 = nodeCrypto.hash ? (b) => nodeCrypto.hash('sha256', b, 'latin1') : (b) => createHash('sha256').update(b).digest('latin1');

// A worker thread: this same file, working on entries.jsonl in memory shared with the
// main thread, so nothing is copied: it reads its part of the file into that memory and
// lists where its lines end, checks that a run of lines is UTF-8, and judges segments of
// entries (tresorScanSegment).
if (!isMainThread) {
  const bytes = Buffer.from(workerData.buffer, 0, workerData.length);
  parentPort.on('message', ({ id, job }) => {
    if (job.op === 'read') {
      const newlines = readRange(workerData.path, bytes, job.from, job.to);
      parentPort.postMessage({ id, result: newlines }, [newlines.buffer]);
    } else if (job.op === 'utf8') {
      parentPort.postMessage({ id, result: nodeBuffer.isUtf8(bytes.subarray(job.from, job.to)) });
    } else {
      parentPort.postMessage({ id, result: tresorScanSegment(bytes, job.seg, sha256Latin1) });
    }
  });
}
// Bytes [from, to) of the file into `bytes` at the same offsets; the offsets of the
// newlines among them (a file changed meanwhile is judged as read).
function readRange(path, bytes, from, to) {
  const fd = openSync(path, 'r');
  try {
    for (let off = from; off < to; ) {
      const n = readSync(fd, bytes, off, Math.min(to - off, 1 << 30), off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  const part = bytes.subarray(from, to);
  const at = [];
  for (let q = part.indexOf(10); q >= 0; q = part.indexOf(10, q + 1)) at.push(from + q);
  return Float64Array.from(at);
}
if (isMainThread) {

const USAGE = 'usage: node verify.mjs [EXPORT_DIR] [--checkpoint YOUR_CHECKPOINT] [--vkey YOUR_LOG_VKEY] [--policy YOUR_WITNESS_POLICY]';
const self = fileURLToPath(import.meta.url);
const cli = { dir: null, checkpoint: null, vkey: null, policy: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--help' || a === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (a === '--checkpoint' || a === '--vkey' || a === '--policy') {
    if (process.argv[i + 1] === undefined) {
      console.error(`verify: ${a} needs a file\n${USAGE}`);
      process.exit(2);
    }
    cli[a.slice(2)] = process.argv[++i];
  } else if (a.startsWith('-') || cli.dir !== null) {
    console.error(`verify: unexpected argument ${a}\n${USAGE}`);
    process.exit(2);
  } else cli.dir = a;
}
const dir = resolve(cli.dir ?? dirname(self));
if (!existsSync(join(dir, 'checkpoint'))) {
  console.error(`verify: ${dir} does not look like a Tresor audit export (no checkpoint file)\n${USAGE}`);
  process.exit(2);
}
// RFC 8410: an Ed25519 SubjectPublicKeyInfo is this 12-byte prefix and the raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const parallelism = nodeOs.availableParallelism ? nodeOs.availableParallelism() : nodeOs.cpus().length;
// A large entries.jsonl goes into a SharedArrayBuffer, read, checked and judged there by
// worker threads (one per core), started first so they boot while the rest is read; a
// small export is not worth starting them.
let pool = null;
let newlines = null; // offsets of every LF in entries.jsonl, when the pool read it
const files = {};
for (const name of TRESOR_FILES) {
  const p = join(dir, name);
  if (!existsSync(p)) continue;
  if (name !== 'entries.jsonl') files[name] = new Uint8Array(readFileSync(p));
  else files[name] = await readEntries(p);
}
async function readEntries(p) {
  const size = statSync(p).size;
  if (size < (1 << 20) || parallelism < 2) return new Uint8Array(readFileSync(p));
  const bytes = Buffer.from(new SharedArrayBuffer(size), 0, size);
  pool = startPool(bytes, p);
  const parts = [];
  for (let k = 0; k < pool.size; k++) parts.push({ op: 'read', from: Math.floor((size * k) / pool.size), to: Math.floor((size * (k + 1)) / pool.size) });
  const lists = await pool.run(parts);
  newlines = new Float64Array(lists.reduce((n, l) => n + l.length, 0));
  for (let k = 0, o = 0; k < lists.length; o += lists[k].length, k++) newlines.set(lists[k], o);
  return bytes;
}
function startPool(bytes, path) {
  const workers = Array.from({ length: parallelism }, () =>
    new Worker(new URL(import.meta.url), { workerData: { buffer: bytes.buffer, length: bytes.length, path } }));
  return {
    size: workers.length,
    // each worker takes the next job when it is done with one; results in job order
    run: (jobs) => {
      const results = new Array(jobs.length);
      let next = 0;
      return Promise.all(workers.map((w) => new Promise((res, rej) => {
        const give = () => {
          if (next >= jobs.length) {
            w.off('message', take);
            w.off('error', rej);
            return res();
          }
          const id = next++;
          w.postMessage({ id, job: jobs[id] });
        };
        const take = ({ id, result }) => {
          results[id] = result;
          give();
        };
        w.on('message', take);
        w.once('error', rej);
        give();
      }))).then(() => results);
    },
    close: () => {
      for (const w of workers) w.terminate();
    },
  };
}
const yours = {};
for (const k of ['checkpoint', 'vkey', 'policy']) {
  if (cli[k] === null) continue;
  try {
    yours[k] = new Uint8Array(readFileSync(cli[k]));
  } catch (e) {
    console.error(`verify: cannot read --${k} ${cli[k]}: ${e.code ?? e.message}`);
    process.exit(2);
  }
}
// Line-aligned halves of a file are UTF-8 exactly when the whole is: LF is one byte in
// UTF-8 and never part of a longer sequence.
const halves = (bytes) => {
  const cut = newlines.length ? newlines[Math.floor(newlines.length / 2)] + 1 : 0;
  return [{ from: 0, to: cut }, { from: cut, to: bytes.length }];
};
const env = {
  isUtf8: nodeBuffer.isUtf8 ? async (b) => {
    if (!pool || b !== files['entries.jsonl']) return nodeBuffer.isUtf8(b);
    return (await pool.run(halves(b).map((h) => ({ op: 'utf8', ...h })))).every(Boolean);
  } : null,
  parallelism,
  // offsets of the LFs when the pool found them while reading
  newlines: (b) => (pool && b === files['entries.jsonl'] ? newlines : null),
  // Segments go to the worker threads, or are judged here for a small export.
  scanSegments: async (bytes, segments) => {
    if (!pool || bytes !== files['entries.jsonl']) return segments.map((seg) => tresorScanSegment(bytes, seg, sha256Latin1));
    return pool.run(segments.map((seg) => ({ op: 'scan', seg })));
  },
  sha256Many: (list) => list.map(sha256),
  ed25519: (pub, msg, sig) => {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    return nodeVerify(null, msg, key, sig);
  },
};
const started = Date.now();
const result = await tresorVerify(files, env, yours);
if (pool) pool.close();
// The verdict comes first: a partial export must not read like a verified one.
console.log(result.headline);
// Then the first failure in plain words and how much else fails; the details come last.
if (result.first) console.log(`first failure: ${result.first}`);
if (result.rest) console.log(`      ${result.rest}`);
if (result.advice) console.log(`      ${result.advice} (node verify.mjs ${cli.dir ?? 'EXPORT_DIR'} --checkpoint YOUR_CHECKPOINT)`);
if (resolve(dirname(self)) === dir) {
  console.log('NOTE  you are running the verify.mjs that came inside this export; whoever controls the box could have replaced it.');
  console.log('      For a verdict you can rely on, run your own saved copy: node YOUR/verify.mjs ' + dir);
}
if (!result.ok) console.log('details:');
for (const c of result.checks) {
  if (c.ok) console.log(`ok    ${c.name}${c.info ? ': ' + c.info : ''}`);
  else for (const m of c.messages) console.log(`FAIL  ${c.name}: ${m}`);
  if (!c.ok && c.more) console.log(`FAIL  ${c.name}: … and ${c.more} more`);
}
const vkey = yours.vkey ?? files['log.vkey'];
if (vkey) {
  const fp = sha256(Buffer.from(new TextDecoder().decode(vkey).trim())).toString('hex').slice(0, 32).match(/..../g).join(' ');
  console.log(`key fingerprint${yours.vkey ? ' (your key)' : ' (compare out of band)'}: ${fp}`);
}
console.log(`this verifier: ${self}, SHA-256 ${sha256(readFileSync(self)).toString('hex')}`);
const secs = ((Date.now() - started) / 1000).toFixed(2);
console.log(`${result.headline} (${secs} s)`);
process.exit(result.verdict === 'verified' ? 0 : result.verdict === 'partial' ? 3 : 1);
}
