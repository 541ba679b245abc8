// Opens a Tresor evidence bundle sealed to your key (evidence-bundle.tresorbox). Needs node
// (>= 18) and nacl-fast.cjs (TweetNaCl, public domain), which lies next to this file.
//   node open-bundle.mjs --keygen KEYFILE          make your key pair; prints the public key to give the sender
//   node open-bundle.mjs BOXFILE --key KEYFILE [--out FILE.zip]   writes the bundle's ZIP (default: BOXFILE with .zip)
// Exit 0 opened, 1 cannot open (wrong key, changed or cut file), 2 usage.
// Format: "TRESORBOX1\n" | ephemeral X25519 public key (32) | nonce prefix (16) | chunks of
// u32 big-endian length | NaCl box (prefix | final flag | 7-byte counter as nonce).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const nacl = createRequire(import.meta.url)('./nacl-fast.cjs');
const args = process.argv.slice(2);
const usage = () => {
  console.error('usage: node open-bundle.mjs --keygen KEYFILE | node open-bundle.mjs BOXFILE --key KEYFILE [--out FILE.zip]');
  process.exit(2);
};
const hex = (b) => Buffer.from(b).toString('hex');
if (args[0] === '--keygen') {
  if (!args[1]) usage();
  const kp = nacl.box.keyPair();
  writeFileSync(args[1], `${hex(kp.secretKey)}\n`, { mode: 0o600, flag: 'wx' });
  console.log(hex(kp.publicKey));
  process.exit(0);
}
let box = null, keyFile = null, outFile = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--key') keyFile = args[++i];
  else if (args[i] === '--out') outFile = args[++i];
  else if (box === null && !args[i].startsWith('-')) box = args[i];
  else usage();
}
if (!box || !keyFile) usage();
const fail = (why) => {
  console.error(`open-bundle: ${why}`);
  process.exit(1);
};
const secret = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
if (secret.length !== 32) fail(`${keyFile} is not a key made by --keygen`);
const b = readFileSync(box);
const MAGIC = Buffer.from('TRESORBOX1\n');
if (b.length < MAGIC.length + 48 || !b.subarray(0, MAGIC.length).equals(MAGIC)) fail(`${box} is not a Tresor sealed bundle`);
let p = MAGIC.length;
const eph = b.subarray(p, p + 32);
const prefix = b.subarray(p + 32, p + 48);
p += 48;
const shared = nacl.box.before(new Uint8Array(eph), new Uint8Array(secret));
const parts = [];
let counter = 0;
let final = false;
while (p < b.length) {
  if (final) fail('data after the last chunk: the file was changed');
  if (p + 4 > b.length) fail('the file is cut short');
  const len = b.readUInt32BE(p);
  p += 4;
  if (p + len > b.length) fail('the file is cut short');
  const sealed = new Uint8Array(b.subarray(p, p + len));
  p += len;
  const last = p >= b.length;
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  nonce[16] = last ? 1 : 0;
  let c = counter++;
  for (let i = 23; i >= 17; i--) { nonce[i] = c & 0xff; c = Math.floor(c / 256); }
  const plain = nacl.box.open.after(sealed, nonce, shared);
  if (!plain) fail(last ? 'cannot open: wrong key, or the file was changed or cut' : 'cannot open: wrong key, or the file was changed');
  parts.push(plain);
  final = last;
}
if (!final) fail('the file is cut short');
const out = outFile ?? box.replace(/\.tresorbox$/, '') + '.zip';
writeFileSync(out, Buffer.concat(parts), { mode: 0o600, flag: 'wx' });
console.log(`opened: ${out} (the bundle's ZIP; unpack it, then run node verify-bundle.mjs in it)`);
