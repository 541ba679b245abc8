// The two numbers that give an Ogg/Opus stream's exact length (RFC 7845 §4): the pre-skip
// in the OpusHead packet and the granule position of the last page, both counted in 48 kHz
// samples. Decoded length = last granule − pre-skip, known before decoding anything. Pure.

/** OpusHead's pre-skip (RFC 7845 §5.1), from the stream's first bytes; null when not Opus. */
export function opusPreSkip(head: Buffer): number | null {
  const at = head.indexOf('OpusHead', 0, 'latin1');
  if (at < 0 || at + 12 > head.length) return null;
  return head.readUInt16LE(at + 10);
}

/**
 * Granule position of the page that ends exactly at the end of `tail` (the last bytes of
 * the stream, at least one page: 65,307 bytes always suffice). "OggS" can occur inside a
 * page's payload, so a candidate counts only when its header and lacing say it ends there.
 */
export function lastGranule(tail: Buffer): number | null {
  for (let at = tail.lastIndexOf('OggS', tail.length - 27, 'latin1'); at >= 0; at = at > 0 ? tail.lastIndexOf('OggS', at - 1, 'latin1') : -1) {
    if (tail[at + 4] !== 0 || at + 27 > tail.length) continue; // stream structure version 0
    const segments = tail[at + 26]!;
    if (at + 27 + segments > tail.length) continue;
    let body = 0;
    for (let i = 0; i < segments; i++) body += tail[at + 27 + i]!;
    if (at + 27 + segments + body !== tail.length) continue;
    const g = tail.readBigInt64LE(at + 6);
    return g < 0n ? null : Number(g); // -1: no packet ends on this page
  }
  return null;
}

/** Bytes from the end of an Ogg stream that hold its last page whole. */
export const OGG_TAIL_BYTES = 27 + 255 + 255 * 255;
