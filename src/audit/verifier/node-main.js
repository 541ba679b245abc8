// ---- node host (verify.mjs) ------------------------------------------------------------
// Usage: node verify.mjs [EXPORT_DIR] [--checkpoint YOUR_CHECKPOINT] [--vkey YOUR_LOG_VKEY] [--policy YOUR_WITNESS_POLICY]
// EXPORT_DIR defaults to the folder this file is in. Keep your own copy of this file and run
// that one on each export: the copy inside an export came from the box you are checking.
// Exit 0 VERIFIED (every check passed, every entry accounted for); 1 NOT VERIFIED (a check
// failed); 2 cannot run (usage, not an export); 3 PARTIAL (every check passed, but the export
// starts after entry 0 and no checkpoint of yours covers what came before).
import * as nodeCrypto from 'node:crypto';
const { createHash, createPublicKey, verify: nodeVerify } = nodeCrypto;
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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

// A worker thread: this same file, judging segments of entries.jsonl (tresorScanSegment)
// in memory shared with the main thread, so nothing is copied.
if (!isMainThread) {
  const bytes = Buffer.from(workerData.buffer, 0, workerData.length);
  parentPort.on('message', ({ id, seg }) => parentPort.postMessage({ id, result: tresorScanSegment(bytes, seg, sha256Latin1) }));
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
const files = {};
for (const name of TRESOR_FILES) {
  const p = join(dir, name);
  if (existsSync(p)) files[name] = name === 'entries.jsonl' ? readShared(p) : new Uint8Array(readFileSync(p));
}
// entries.jsonl goes into a SharedArrayBuffer, which the worker threads read in place.
function readShared(p) {
  const fd = openSync(p, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.from(new SharedArrayBuffer(Math.max(1, size)), 0, size);
    for (let off = 0; off < size; ) {
      const n = readSync(fd, bytes, off, Math.min(size - off, 1 << 30), off);
      if (n === 0) break;
      off += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
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
// RFC 8410: an Ed25519 SubjectPublicKeyInfo is this 12-byte prefix and the raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const parallelism = nodeOs.availableParallelism ? nodeOs.availableParallelism() : nodeOs.cpus().length;
const env = {
  isUtf8: nodeBuffer.isUtf8 ? (b) => nodeBuffer.isUtf8(b) : null,
  parallelism,
  // Segments go to worker threads (one per core); a small export is not worth starting them.
  scanSegments: async (bytes, segments) => {
    if (bytes.length < (1 << 20) || parallelism < 2 || !(bytes.buffer instanceof SharedArrayBuffer)) {
      return segments.map((seg) => tresorScanSegment(bytes, seg, sha256Latin1));
    }
    const results = new Array(segments.length);
    let next = 0;
    const pool = Array.from({ length: Math.min(parallelism, segments.length) }, () =>
      new Worker(new URL(import.meta.url), { workerData: { buffer: bytes.buffer, length: bytes.length } }));
    try {
      await Promise.all(pool.map((w) => new Promise((res, rej) => {
        const give = () => {
          if (next >= segments.length) return res();
          const id = next++;
          w.postMessage({ id, seg: segments[id] });
        };
        w.on('message', ({ id, result }) => {
          results[id] = result;
          give();
        });
        w.once('error', rej);
        give();
      })));
    } finally {
      for (const w of pool) w.terminate();
    }
    return results;
  },
  sha256Many: (list) => list.map(sha256),
  ed25519: (pub, msg, sig) => {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    return nodeVerify(null, msg, key, sig);
  },
};
const started = Date.now();
const result = await tresorVerify(files, env, yours);
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
