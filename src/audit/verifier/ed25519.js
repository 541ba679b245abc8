// ---- Ed25519 signature verification in plain JS --------------------------------------
// For browsers without WebCrypto Ed25519. Ported from TweetNaCl-js (nacl.js,
// crypto_sign_open and its field/curve helpers; public domain, Dmitry Chestnykh, Devi
// Mandiri, after TweetNaCl 20140427 by Bernstein et al.). SHA-512 is supplied by the
// host (WebCrypto). Adds the S < L check of RFC 8032 §5.1.7 that TweetNaCl omits.
const tresorEd = (() => {
  const gf = (init) => {
    const r = new Float64Array(16);
    if (init) for (let i = 0; i < init.length; i++) r[i] = init[i];
    return r;
  };
  const gf0 = gf(), gf1 = gf([1]);
  const D = gf([0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203]);
  const D2 = gf([0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]);
  const X = gf([0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]);
  const Y = gf([0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666]);
  const I = gf([0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83]);
  const L = new Float64Array([0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]);

  function vn(x, xi, y, yi, n) { let d = 0; for (let i = 0; i < n; i++) d |= x[xi + i] ^ y[yi + i]; return (1 & ((d - 1) >>> 8)) - 1; }
  function set25519(r, a) { for (let i = 0; i < 16; i++) r[i] = a[i] | 0; }
  function car25519(o) {
    for (let i = 0; i < 16; i++) {
      o[i] += 65536;
      const c = Math.floor(o[i] / 65536);
      o[(i + 1) * (i < 15 ? 1 : 0)] += c - 1 + 37 * (c - 1) * (i === 15 ? 1 : 0);
      o[i] -= c * 65536;
    }
  }
  function sel25519(p, q, b) {
    const c = ~(b - 1);
    for (let i = 0; i < 16; i++) { const t = c & (p[i] ^ q[i]); p[i] ^= t; q[i] ^= t; }
  }
  function pack25519(o, n) {
    const m = gf(), t = gf();
    for (let i = 0; i < 16; i++) t[i] = n[i];
    car25519(t); car25519(t); car25519(t);
    for (let j = 0; j < 2; j++) {
      m[0] = t[0] - 0xffed;
      for (let i = 1; i < 15; i++) { m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1); m[i - 1] &= 0xffff; }
      m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
      const b = (m[15] >> 16) & 1;
      m[14] &= 0xffff;
      sel25519(t, m, 1 - b);
    }
    for (let i = 0; i < 16; i++) { o[2 * i] = t[i] & 0xff; o[2 * i + 1] = t[i] >> 8; }
  }
  function neq25519(a, b) { const c = new Uint8Array(32), d = new Uint8Array(32); pack25519(c, a); pack25519(d, b); return vn(c, 0, d, 0, 32); }
  function par25519(a) { const d = new Uint8Array(32); pack25519(d, a); return d[0] & 1; }
  function unpack25519(o, n) { for (let i = 0; i < 16; i++) o[i] = n[2 * i] + (n[2 * i + 1] << 8); o[15] &= 0x7fff; }
  function A(o, a, b) { for (let i = 0; i < 16; i++) o[i] = (a[i] + b[i]) | 0; }
  function Z(o, a, b) { for (let i = 0; i < 16; i++) o[i] = (a[i] - b[i]) | 0; }
  function M(o, a, b) {
    const t = new Float64Array(31);
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) t[i + j] += a[i] * b[j];
    for (let i = 0; i < 15; i++) t[i] += 38 * t[i + 16];
    for (let i = 0; i < 16; i++) o[i] = t[i];
    car25519(o); car25519(o);
  }
  function S(o, a) { M(o, a, a); }
  function pow2523(o, i) {
    const c = gf();
    for (let a = 0; a < 16; a++) c[a] = i[a];
    for (let a = 250; a >= 0; a--) { S(c, c); if (a !== 1) M(c, c, i); }
    for (let a = 0; a < 16; a++) o[a] = c[a];
  }
  function inv25519(o, i) {
    const c = gf();
    for (let a = 0; a < 16; a++) c[a] = i[a];
    for (let a = 253; a >= 0; a--) { S(c, c); if (a !== 2 && a !== 4) M(c, c, i); }
    for (let a = 0; a < 16; a++) o[a] = c[a];
  }
  function add(p, q) {
    const a = gf(), b = gf(), c = gf(), d = gf(), e = gf(), f = gf(), g = gf(), h = gf(), t = gf();
    Z(a, p[1], p[0]); Z(t, q[1], q[0]); M(a, a, t);
    A(b, p[0], p[1]); A(t, q[0], q[1]); M(b, b, t);
    M(c, p[3], q[3]); M(c, c, D2);
    M(d, p[2], q[2]); A(d, d, d);
    Z(e, b, a); Z(f, d, c); A(g, d, c); A(h, b, a);
    M(p[0], e, f); M(p[1], h, g); M(p[2], g, f); M(p[3], e, h);
  }
  function cswap(p, q, b) { for (let i = 0; i < 4; i++) sel25519(p[i], q[i], b); }
  function pack(r, p) {
    const tx = gf(), ty = gf(), zi = gf();
    inv25519(zi, p[2]); M(tx, p[0], zi); M(ty, p[1], zi);
    pack25519(r, ty);
    r[31] ^= par25519(tx) << 7;
  }
  function scalarmult(p, q, s) {
    set25519(p[0], gf0); set25519(p[1], gf1); set25519(p[2], gf1); set25519(p[3], gf0);
    for (let i = 255; i >= 0; --i) {
      const b = (s[(i / 8) | 0] >> (i & 7)) & 1;
      cswap(p, q, b); add(q, p); add(p, p); cswap(p, q, b);
    }
  }
  function scalarbase(p, s) {
    const q = [gf(), gf(), gf(), gf()];
    set25519(q[0], X); set25519(q[1], Y); set25519(q[2], gf1); M(q[3], X, Y);
    scalarmult(p, q, s);
  }
  function modL(r, x) {
    let carry, i, j, k;
    for (i = 63; i >= 32; --i) {
      carry = 0;
      for (j = i - 32, k = i - 12; j < k; ++j) {
        x[j] += carry - 16 * x[i] * L[j - (i - 32)];
        carry = Math.floor((x[j] + 128) / 256);
        x[j] -= carry * 256;
      }
      x[j] += carry;
      x[i] = 0;
    }
    carry = 0;
    for (j = 0; j < 32; j++) { x[j] += carry - (x[31] >> 4) * L[j]; carry = x[j] >> 8; x[j] &= 255; }
    for (j = 0; j < 32; j++) x[j] -= carry * L[j];
    for (i = 0; i < 32; i++) { x[i + 1] += x[i] >> 8; r[i] = x[i] & 255; }
  }
  function reduce(r) {
    const x = new Float64Array(64);
    for (let i = 0; i < 64; i++) x[i] = r[i];
    for (let i = 0; i < 64; i++) r[i] = 0;
    modL(r, x);
  }
  function unpackneg(r, p) {
    const t = gf(), chk = gf(), num = gf(), den = gf(), den2 = gf(), den4 = gf(), den6 = gf();
    set25519(r[2], gf1);
    unpack25519(r[1], p);
    S(num, r[1]); M(den, num, D); Z(num, num, r[2]); A(den, r[2], den);
    S(den2, den); S(den4, den2); M(den6, den4, den2); M(t, den6, num); M(t, t, den);
    pow2523(t, t); M(t, t, num); M(t, t, den); M(t, t, den); M(r[0], t, den);
    S(chk, r[0]); M(chk, chk, den);
    if (neq25519(chk, num)) M(r[0], r[0], I);
    S(chk, r[0]); M(chk, chk, den);
    if (neq25519(chk, num)) return -1;
    if (par25519(r[0]) === p[31] >> 7) Z(r[0], gf0, r[0]);
    M(r[3], r[0], r[1]);
    return 0;
  }
  // S must be canonical (S < L), RFC 8032 §5.1.7 step 1.
  function scalarBelowL(s) {
    for (let i = 31; i >= 0; i--) {
      if (s[i] < L[i]) return true;
      if (s[i] > L[i]) return false;
    }
    return false;
  }
  return async function verify(pub, msg, sig, sha512) {
    if (pub.length !== 32 || sig.length !== 64 || !scalarBelowL(sig.subarray(32))) return false;
    const q = [gf(), gf(), gf(), gf()], p = [gf(), gf(), gf(), gf()];
    if (unpackneg(q, pub)) return false;
    const m = new Uint8Array(64 + msg.length);
    m.set(sig.subarray(0, 32), 0);
    m.set(pub, 32);
    m.set(msg, 64);
    const h = new Uint8Array(await sha512(m)); // k = SHA-512(R ‖ A ‖ M)
    reduce(h);
    scalarmult(p, q, h);
    scalarbase(q, sig.subarray(32));
    add(p, q);
    const t = new Uint8Array(32);
    pack(t, p);
    return vn(sig, 0, t, 0, 32) === 0;
  };
})();
