// ---- node host (verify.mjs) ------------------------------------------------------------
// Usage: node verify.mjs [DIR]   (DIR defaults to the folder this file is in)
// Exit 0 only when every check passes; 1 when a check fails; 2 when it cannot run.
import * as nodeCrypto from 'node:crypto';
const { createHash, createPublicKey, verify: nodeVerify } = nodeCrypto;
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = resolve(process.argv[2] ?? dirname(fileURLToPath(import.meta.url)));
if (!existsSync(join(dir, 'checkpoint'))) {
  console.error(`verify: ${dir} does not look like a Tresor audit export (no checkpoint file)`);
  process.exit(2);
}
const files = {};
for (const name of TRESOR_FILES) {
  const p = join(dir, name);
  if (existsSync(p)) files[name] = new Uint8Array(readFileSync(p));
}
// RFC 8410: an Ed25519 SubjectPublicKeyInfo is this 12-byte prefix and the raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// crypto.hash (node ≥ 20.12) is a one-shot digest, several times cheaper than createHash.
const sha256 = nodeCrypto.hash ? (b) => nodeCrypto.hash('sha256', b, 'buffer') : (b) => createHash('sha256').update(b).digest();
const env = {
  sha256Many: (list) => list.map(sha256),
  ed25519: (pub, msg, sig) => {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    return nodeVerify(null, msg, key, sig);
  },
};
const started = Date.now();
const result = await tresorVerify(files, env);
for (const c of result.checks) {
  if (c.ok) console.log(`ok    ${c.name}${c.info ? ': ' + c.info : ''}`);
  else for (const m of c.messages) console.log(`FAIL  ${c.name}: ${m}`);
  if (!c.ok && c.more) console.log(`FAIL  ${c.name}: … and ${c.more} more`);
}
if (files['log.vkey']) {
  const fp = sha256(Buffer.from(new TextDecoder().decode(files['log.vkey']).trim())).toString('hex').slice(0, 32).match(/..../g).join(' ');
  console.log(`key fingerprint (compare out of band): ${fp}`);
}
const secs = ((Date.now() - started) / 1000).toFixed(2);
if (result.ok) {
  console.log(`VERIFIED: every check passed (${secs} s)`);
  process.exit(0);
}
console.log(`NOT VERIFIED: ${result.failures.length} problem(s) found`);
process.exit(1);
