/** README.txt of an auditor export: what was checked and how to keep the chain going. */
export function exportReadme(o: { vkey: string; fingerprint: string; start: number; size: number; since: number | null }): string {
  const range = o.size === o.start ? 'no entries' : `entries ${o.start} to ${o.size - 1}`;
  return `Tresor access-log export
========================

This folder holds ${range} of the Tresor access log and a checkpoint signed by the
log's key for its first ${o.size} entries. You can check all of it yourself, offline,
without trusting the machine that produced it.

1. Check the key out of band (once)
   log.vkey holds the log's public verifier key:
     ${o.vkey}
   Its fingerprint is:
     ${o.fingerprint}
   Ask the site (by phone, on paper, in person) to read you the fingerprint that
   \`tresor audit export\` prints there, or compare it with the one you noted last time.
   Everything below only means something if this key is the site's real key.

2. Verify
   With Node.js 20 or newer:   node verify.mjs        (or: node verify.mjs FOLDER)
   It exits with 0 and prints VERIFIED only when every check passes, otherwise it
   names each failure. Without Node.js, open verify.html in a browser (works offline
   from disk) and choose this folder.

   What is checked:
   - signature: \`checkpoint\` is a C2SP signed note with a valid Ed25519 signature by
     the key in log.vkey; origin: its origin equals the key's name;
   - line format: every line of entries.jsonl is one JSON object with the keys seq,
     time, actor, action, target, detail, prev, in that order and canonical form;
   - seq: entries are numbered without gaps, duplicates or reordering;
   - chain: each entry's prev is the SHA-256 of the line before it (zeros for seq 0);
   - tree root: the RFC 6962 Merkle root over ${o.start > 0 ? 'frontier.json and ' : ''}the entries equals the
     signed root, and the entry count equals the signed size (nothing dropped,
     nothing appended without a signature);${o.since !== null ? `
   - history: previous-checkpoint (size ${o.since}) is signed by the same key, is not
     newer than this one (rollback), does not show the same size with another root
     (split view), and consistency.json proves (RFC 9162 §2.1.4) that this log
     extends it without rewriting anything.` : ''}

3. Keep the checkpoint for next time
   Store the file \`checkpoint\` safely on your side. Next time, hand it to the site
   and ask for an export with:
     tresor audit export --out DIR --since checkpoint
   The next export then proves that the log only grew since this one.
   Entries in this export contain no personal data in the clear: recordings and
   people appear as ids and pseudonymous tokens.
`;
}
