import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import nacl from 'tweetnacl';
import { parseCheckpoint, formatCheckpoint } from '../src/audit/checkpoint.ts';
import { createNoteSigner, parseVkey, verifyNote } from '../src/crypto/signing.ts';
import { b64, vectors } from './fixtures/audit-helpers.ts';

const sn = vectors.signed_note;

describe('C2SP signed-note vectors', () => {
  // verify_* and the malformed Go TestOpen notes run over every verifier: test/log-verifiers.test.ts

  it('signer_reproduces_the_go_TestSign_note_byte_for_byte', () => {
    const c = sn.cases.find((x: any) => x.skey);
    // PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed); the base64 itself may contain '+'.
    const parts = (c.skey as string).split('+');
    const name = parts[2]!;
    const seed = b64(parts.slice(4).join('+')).subarray(1);
    const signer = createNoteSigner(name, seed);
    assert.equal(signer.vkey, c.vkey);
    assert.equal(signer.keyId, 'c74f20a3');
    assert.equal(signer.sign(c.text), c.signed_note);
  });

  it('signatures_by_unknown_keys_are_ignored_but_one_trusted_signature_is_required', () => {
    const peter = sn.cases.find((x: any) => x.skey);
    const enoch = sn.cases.find((x: any) => x.desc.includes('EnochRoot signature'));
    const both = peter.signed_note + enoch.signed_note.slice(enoch.signed_note.lastIndexOf('\n\n') + 2);
    assert.equal(verifyNote(both, peter.vkey).ok, true);
    assert.equal(verifyNote(both, enoch.vkey).ok, true);
    const other = createNoteSigner('Other', new Uint8Array(32).fill(9));
    const r = verifyNote(both, other.vkey);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /no signature by Other/);
  });

  it('a_trusted_signature_that_does_not_verify_rejects_the_note', () => {
    const signer = createNoteSigner('log.example/a', new Uint8Array(32).fill(3));
    const note = signer.sign('hello\n');
    const r = verifyNote(note.replace('hello', 'hellp'), signer.vkey);
    assert.deepEqual(r, { ok: false, reason: 'invalid signature by log.example/a' });
  });

  it('vkey_with_a_wrong_key_id_is_refused', () => {
    const v = sn.cases[0].vkey as string;
    assert.throws(() => parseVkey(v.replace('+530d903a+', '+530d903b+')), /key ID does not match/);
    assert.equal(parseVkey(v).name, 'example.com/foo');
  });

  it('signer_refuses_text_a_verifier_could_not_split', () => {
    const s = createNoteSigner('x', new Uint8Array(32));
    assert.throws(() => s.sign('no newline'), /end with a newline/);
    assert.throws(() => s.sign('a\n\nb\n'), /blank line/);
    assert.throws(() => createNoteSigner('bad name', new Uint8Array(32)), /invalid signing key name/);
  });
});

describe('C2SP tlog-checkpoint', () => {
  it('parse_cases_match_expectations', () => {
    for (const c of vectors.checkpoint_format.parse_cases) {
      let ok = true;
      try {
        parseCheckpoint(c.text);
      } catch {
        ok = false;
      }
      assert.equal(ok, c.expect_valid, c.desc);
    }
  });

  it('c2sp_example_and_cosigned_example_parse_and_are_well_formed_notes', () => {
    for (const note of [vectors.checkpoint_format.c2sp_checkpoint_example, vectors.checkpoint_format.c2sp_cosigned_checkpoint_example]) {
      const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
      const cp = parseCheckpoint(text);
      assert.equal(cp.origin, 'example.com/behind-the-sofa');
      assert.equal(cp.size, 20852163);
      assert.equal(formatCheckpoint(cp), text);
      // No key was published: the note is well-formed, only unverifiable.
      const r = verifyNote(note, createNoteSigner('example.com/behind-the-sofa', new Uint8Array(32)).vkey);
      assert.match((r as { reason: string }).reason, /no signature by/);
    }
  });
});

describe('embedded JS Ed25519 verifier (verify.html fallback)', () => {
  const src = readFileSync(new URL('../src/audit/verifier/ed25519.js', import.meta.url), 'utf8');
  const verify = new Function(`${src}; return tresorEd;`)() as (p: Uint8Array, m: Uint8Array, s: Uint8Array, h: (m: Uint8Array) => Promise<Uint8Array>) => Promise<boolean>;
  const sha512 = async (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest());

  it('accepts_the_c2sp_and_go_signatures_and_rejects_every_mutation', async () => {
    for (const c of sn.cases.filter((x: any) => x.expect_valid)) {
      const key = parseVkey(c.vkey);
      const note: string = c.signed_note;
      const split = note.lastIndexOf('\n\n');
      const text = new Uint8Array(Buffer.from(note.slice(0, split + 1)));
      const sig = b64(note.slice(split + 2).trim().split(' ')[2]!).subarray(4);
      assert.equal(await verify(key.publicKey, text, sig, sha512), true, c.desc);
      for (const bit of [0, 7, 100, 255, 256, 300, 511]) {
        const bad = new Uint8Array(sig);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        assert.equal(await verify(key.publicKey, text, bad, sha512), false, `sig bit ${bit}`);
      }
      const t2 = new Uint8Array(text);
      t2[0]! ^= 1;
      assert.equal(await verify(key.publicKey, t2, sig, sha512), false);
    }
  });

  it('agrees_with_tweetnacl_on_random_messages', async () => {
    for (let i = 0; i < 8; i++) {
      const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(i + 1));
      const msg = nacl.randomBytes(i * 13);
      const sig = nacl.sign.detached(msg, kp.secretKey);
      assert.equal(await verify(kp.publicKey, msg, sig, sha512), true);
      assert.equal(await verify(nacl.sign.keyPair().publicKey, msg, sig, sha512), false);
    }
  });
});

describe('vkey parsing', () => {
  it('a_public_key_whose_base64_contains_plus_is_parsed', () => {
    // Seeds until the base64 of (0x01 ‖ pubkey) contains '+', as the browser test's did.
    for (let i = 0; i < 64; i++) {
      const s = createNoteSigner('k', new Uint8Array(32).fill(i));
      if (!s.vkey.slice(s.vkey.indexOf('+', 2) + 1).includes('+')) continue;
      assert.equal(verifyNote(s.sign('x\n'), s.vkey).ok, true);
      return;
    }
    assert.fail('no seed gave a key with + in its base64');
  });
});
