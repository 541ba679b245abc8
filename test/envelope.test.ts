import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { seal, open } from '../src/crypto/envelope.ts';

const dek = new Uint8Array(randomBytes(32));

test('envelope_roundtrip_for_sizes_around_chunk_boundaries', () => {
  for (const n of [0, 1, 15, 16, 17, 64, 65, 128, 1000]) {
    const plain = randomBytes(n);
    assert.deepEqual(open(dek, seal(dek, plain, 16)), plain, `size ${n}`);
  }
});

test('envelope_truncated_at_a_chunk_boundary_does_not_open', () => {
  const sealed = seal(dek, randomBytes(100), 16); // 7 chunks of 16+16
  const cut = sealed.subarray(0, 24 + 3 * 32);
  assert.throws(() => open(dek, cut), /final chunk|truncated/);
});

test('envelope_with_swapped_chunks_or_flipped_bit_does_not_open', () => {
  const sealed = seal(dek, randomBytes(64), 16);
  const swapped = Buffer.concat([sealed.subarray(0, 24), sealed.subarray(56, 88), sealed.subarray(24, 56), sealed.subarray(88)]);
  assert.throws(() => open(dek, swapped), /E_CRYPTO|does not open/);
  for (const pos of [30, 24 + 32 * 2 + 5, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[pos]! ^= 1;
    assert.throws(() => open(dek, bad), /does not open/);
  }
});

test('envelope_does_not_open_with_another_key_and_never_holds_the_plaintext', () => {
  const plain = Buffer.from('+4930123456 Anna Müller '.repeat(50));
  const sealed = seal(dek, plain);
  assert.equal(sealed.includes(Buffer.from('+4930123456')), false);
  assert.throws(() => open(new Uint8Array(randomBytes(32)), sealed));
});

test('envelope_uses_a_fresh_nonce_prefix_each_time', () => {
  const plain = Buffer.from('same text');
  assert.notDeepEqual(seal(dek, plain), seal(dek, plain));
});

test('envelope_with_a_tampered_chunk_size_is_refused_as_damage_never_a_crash_or_wrong_plaintext', () => {
  for (const [n, sizes] of [[1000, [1, 7, 99, 101, 0xffffffff]], [8, [1, 2]]] as const) {
    const sealed = seal(dek, randomBytes(n), 100);
    for (const size of sizes) {
      const bad = Buffer.from(sealed);
      bad.writeUInt32BE(size, 4);
      assert.throws(() => open(dek, bad), (e: Error & { code?: string }) => e.code === 'E_CRYPTO', `${n} bytes, chunk size ${size}`);
    }
  }
});

test('openRange_anyRange_equalsTheSameSliceOfTheWholePlaintext', async () => {
  const { openRange, plainLength, seal: seal2, open: open2 } = await import('../src/crypto/envelope.ts');
  const dek = new Uint8Array(32).fill(9);
  for (const size of [0, 1, 1000, 4096, 4097, 10_000]) {
    const plain = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) % 251));
    const sealed = seal2(dek, plain, 4096);
    assert.equal(plainLength(sealed), size);
    assert.ok(open2(dek, sealed).equals(plain));
    for (const [a, b] of [[0, size], [0, Math.min(1, size)], [Math.floor(size / 2), size], [Math.max(0, size - 3), size], [4095 % (size + 1), Math.min(size, 4098)]]) {
      if (a! > b!) continue;
      assert.ok(openRange(dek, sealed, a!, b!).equals(plain.subarray(a!, b!)), `size ${size} range ${a}-${b}`);
    }
  }
  const sealed = seal2(dek, Buffer.alloc(10_000, 1), 4096);
  sealed[24 + 4096 + 16 + 5]! ^= 1; // damage chunk 1
  assert.ok(openRange(dek, sealed, 0, 4096).length === 4096, 'chunk 0 alone still opens');
  assert.throws(() => openRange(dek, sealed, 4000, 5000), /chunk 1 does not open/);
});
