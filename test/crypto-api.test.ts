import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as cryptoApi from '../src/crypto/index.ts';
import { openKeyring, sealedLength } from '../src/crypto/index.ts';
import type { WrappedDek } from '../src/store/index.ts';
import { verifyNote } from '../src/crypto/signing.ts';
import { ROOT } from './helpers/site.ts';

// Issue 10 item 4 (DESIGN §2): crypto hands out operations (open, seal, tokenize, sign),
// never key bytes. These tests pin that contract: what src/crypto/index.ts exports, and
// that nothing an opened keyring returns carries a key.

/** The key bytes of a data directory, as the files hold them (base64 lines). */
function keyFileBytes(dataDir: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of ['kek', 'log-signing', 'index-secret']) {
    for (const line of readFileSync(join(dataDir, 'keys', name), 'utf8').split('\n')) {
      const b64 = line.trim().split(/\s+/).pop();
      if (b64) out.push(new Uint8Array(Buffer.from(b64, 'base64')));
    }
  }
  return out;
}

/**
 * Where in `value` (own properties, arrays, nested objects, results of calling its
 * zero-argument functions) a key could hide: any 32-byte array (a DEK, KEK, seed, HMAC
 * key), or the bytes / base64 / hex of a known key inside a longer array or a string.
 */
function keyLeaks(value: unknown, keys: Uint8Array[], path = 'result', seen = new Set<unknown>()): string[] {
  if (value === null || value === undefined || seen.has(value)) return [];
  if (typeof value === 'string') {
    return keys.some((k) => value.includes(Buffer.from(k).toString('base64')) || value.includes(Buffer.from(k).toString('hex')) ||
      value.includes(Buffer.from(k).toString('base64url'))) ? [`${path}: a key in a string`] : [];
  }
  if (typeof value !== 'object' && typeof value !== 'function') return [];
  seen.add(value);
  if (value instanceof Uint8Array) {
    if (value.length === 32) return [`${path}: 32 bytes (a key?)`];
    const b = Buffer.from(value);
    return keys.some((k) => b.includes(Buffer.from(k))) ? [`${path}: holds a key's bytes`] : [];
  }
  if (typeof value === 'function') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    // a getter-like method (logSigningSeed(), newDek() of old) hands its bytes out when called
    if (typeof v === 'function' && v.length === 0) {
      let r: unknown;
      try {
        r = (v as () => unknown).call(value);
      } catch {
        r = undefined;
      }
      out.push(...keyLeaks(r, keys, `${path}.${k}()`, seen));
    } else out.push(...keyLeaks(v, keys, `${path}.${k}`, seen));
  }
  return out;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test('crypto_index_exports_operations_and_lengths_only', () => {
  // a new export is a decision about key material: add it here on purpose
  // BOX_MAGIC, parseRecipientKey, sealToRecipient (issue 13 evidence bundles): sealing to a
  // recipient's public key with a one-time sender key made and dropped inside; no key leaves
  assert.deepEqual(Object.keys(cryptoApi).sort(), [
    'BOX_MAGIC', 'DEFAULT_CHUNK', 'ROTATE_FAULT_POINTS', 'SEALED_PREFIX', 'credentialsRotationHelp', 'keySource', 'openKeyring',
    'parseRecipientKey', 'plainLength', 'rotateKek', 'sealToRecipient', 'sealedLength',
  ]);
  // the envelope functions that take a DEK stay inside crypto: no file outside imports them
  const outside: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const p = `${dir}/${name}`;
      if (statSync(join(ROOT, p)).isDirectory()) walk(p);
      else if (/\.(ts|mjs|js)$/.test(name) && !p.startsWith('src/crypto/')) {
        const text = readFileSync(join(ROOT, p), 'utf8');
        if (/from\s+['"][^'"]*crypto\/(envelope|keyring|key-files|kek-rotation)\.ts['"]/.test(text) || /from\s+['"]tweetnacl['"]/.test(text)) outside.push(relative(ROOT, join(ROOT, p)));
      }
    }
  };
  walk('src');
  walk('views');
  // the witness's cosigner and key file are in src/crypto too (cosigner.ts, witness-key.ts)
  assert.deepEqual(outside, [], 'only src/crypto/ holds raw keys (DESIGN §2)');
});

test('an_opened_keyring_offers_operations_that_work_end_to_end_and_return_no_key_bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-crypto-api-'));
  const table = new Map<string, WrappedDek>();
  const k = openKeyring(dir, false, {}, table);
  const keys = keyFileBytes(dir);
  assert.equal(keys.length, 3);

  // what the keyring is: facts about the keys, and operations
  const methods = Object.entries(k).filter(([, v]) => typeof v === 'function').map(([n]) => n).sort();
  assert.deepEqual(methods, ['noteSigner', 'openRecording', 'openSecret', 'sealFor', 'sealSecret', 'tokenize']);
  assert.deepEqual(keyLeaks(k, keys, 'keyring'), []);

  // seal a new recording, store its wrapped key under its id, open it again
  const audio = randomBytes(200_000);
  const personal = Buffer.from(JSON.stringify({ from: '+4930123456' }));
  const sealer = k.sealFor('rec-1');
  assert.deepEqual(keyLeaks(sealer, keys, 'sealFor()'), []);
  const sealedAudio = Buffer.concat(await collect(sealer.sealStream(audio.length, [audio.subarray(0, 70_000), audio.subarray(70_000)])));
  assert.equal(sealedAudio.length, sealedLength(audio.length));
  const sealedPersonal = sealer.seal(personal);
  assert.throws(() => k.openRecording('rec-1'), (e: { code?: string }) => e.code === 'E_NOT_FOUND', 'nothing opens before the key is stored');
  table.set('rec-1', sealer.wrapped);

  const opener = k.openRecording('rec-1');
  assert.deepEqual(keyLeaks(opener, keys, 'openRecording()'), []);
  assert.ok(opener.open(sealedAudio).equals(audio));
  assert.ok(opener.open(sealedPersonal).equals(personal));
  assert.ok(opener.openRange(sealedAudio, 65_000, 140_000).equals(audio.subarray(65_000, 140_000)));
  assert.ok(Buffer.concat([...opener.openRangeChunks(sealedAudio, 10, 131_073)]).equals(audio.subarray(10, 131_073)));
  assert.ok(Buffer.concat(await collect(opener.openStream([sealedAudio.subarray(0, 999), sealedAudio.subarray(999)]))).equals(audio));
  // after a restart, from the same table
  assert.ok(openKeyring(dir, true, {}, table).openRecording('rec-1').open(sealedPersonal).equals(personal));

  // re-sealing under the stored key (a corrected sidecar): the same wrapped key, still opens
  const again = k.sealFor('rec-1');
  assert.deepEqual(again.wrapped, sealer.wrapped);
  assert.ok(k.openRecording('rec-1').open(again.seal(Buffer.from('later'))).equals(Buffer.from('later')));
  // another id's key does not open it
  table.set('rec-2', k.sealFor('rec-2').wrapped);
  assert.throws(() => k.openRecording('rec-2').open(sealedPersonal), (e: { code?: string }) => e.code === 'E_CRYPTO');
  // crypto-shredding: the wrapped key gone, nothing opens
  table.delete('rec-1');
  assert.throws(() => k.openRecording('rec-1'), (e: { code?: string }) => e.code === 'E_NOT_FOUND');

  // tokenize: keyed, stable, hex; no key in it
  const t = k.tokenize('phone', '+4930123456');
  assert.match(t, /^[0-9a-f]{64}$/);
  assert.equal(openKeyring(dir, true, {}).tokenize('phone', '+4930123456'), t);
  assert.deepEqual(keyLeaks(t, keys), []);

  // signNote: the log's signer signs, its seed stays inside
  const signer = k.noteSigner('test.tresor/api');
  assert.deepEqual(keyLeaks(signer, keys, 'noteSigner()'), []);
  const note = signer.sign('test.tresor/api\n1\nAAAA\n');
  assert.deepEqual(verifyNote(note, signer.vkey), { ok: true, text: 'test.tresor/api\n1\nAAAA\n' });
  assert.deepEqual(keyLeaks(note, keys), []);

  // sealed small secrets
  const sealed = k.sealSecret('totp:dora', 'JBSWY3DPEHPK3PXP');
  assert.deepEqual(keyLeaks(sealed, keys), []);
  assert.equal(k.openSecret('totp:dora', sealed), 'JBSWY3DPEHPK3PXP');
});
