import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { seal, open, openStream, sealedLength, sealStream } from '../src/crypto/envelope.ts';

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

test('sealStream_of_a_source_in_odd_pieces_opens_to_the_same_bytes_and_has_the_sealed_length', async () => {
  const dek = new Uint8Array(randomBytes(32));
  for (const size of [0, 1, 1000, 64 * 1024, 64 * 1024 + 1, 3 * 64 * 1024, 200_000]) {
    const plain = randomBytes(size);
    const pieces: Buffer[] = [];
    for (let i = 0; i < size; i += 7777) pieces.push(plain.subarray(i, i + 7777));
    const sealed = Buffer.concat(await collect(sealStream(dek, size, pieces)));
    assert.equal(sealed.length, sealedLength(size), `size ${size}`);
    assert.ok(open(dek, sealed).equals(plain), `size ${size}`);
    // and back, streamed, in other odd pieces
    const back: Buffer[] = [];
    const cut: Buffer[] = [];
    for (let i = 0; i < sealed.length; i += 5003) cut.push(sealed.subarray(i, i + 5003));
    for await (const p of openStream(dek, cut)) back.push(p);
    assert.ok(Buffer.concat(back).equals(plain), `openStream size ${size}`);
  }
});

test('sealStream_refuses_a_source_that_is_shorter_or_longer_than_announced', async () => {
  const dek = new Uint8Array(randomBytes(32));
  await assert.rejects(collect(sealStream(dek, 100_000, [randomBytes(99_999)])), /ended after 99999 of 100000/);
  await assert.rejects(collect(sealStream(dek, 10, [randomBytes(11)])), /more than the 10 bytes/);
});

test('openStream_detects_an_envelope_cut_at_a_chunk_boundary_and_tampering', async () => {
  const dek = new Uint8Array(randomBytes(32));
  const sealed = seal(dek, randomBytes(3 * 64 * 1024));
  const cutAtBoundary = sealed.subarray(0, 24 + 2 * (64 * 1024 + 16));
  await assert.rejects(collect(openStream(dek, [cutAtBoundary])), /final chunk: truncated/);
  const bent = Buffer.from(sealed);
  bent[100]! ^= 1;
  await assert.rejects(collect(openStream(dek, [bent])), /does not open/);
});

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of it) out.push(b);
  return out;
}
