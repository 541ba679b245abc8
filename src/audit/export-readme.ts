import type { VerifierFile } from './verifier/build.ts';

/** README.txt of an auditor export: what was checked, with what, and how to keep the chain going. */
export function exportReadme(o: {
  vkey: string; fingerprint: string; start: number; size: number; since: number | null; verifier: Record<VerifierFile, string>;
}): string {
  const range = o.size === o.start ? 'no entries' : `entries ${o.start} to ${o.size - 1}`;
  const partial = o.start > 0 ? `
   THIS EXPORT IS PARTIAL: it starts at entry ${o.start}. Entries 0 to ${o.start - 1} are not
   in it; frontier.json only proves that some entries were there, not what they said, and
   anyone on the box can cut entries off the front of an export and add such a file. The
   verifier therefore says PARTIAL (exit code 3), not VERIFIED, unless you give it your own
   checkpoint from a visit that covered those entries (--checkpoint, below).
` : '';
  return `Tresor access-log export
========================

This folder holds ${range} of the Tresor access log and a checkpoint signed by the
log's key for its first ${o.size} entries. You can check all of it yourself, offline,
without trusting the machine that produced it.
${partial}
1. Use your own verifier, not the one in this folder
   verify.mjs and verify.html here came from the machine you are checking: whoever
   controls it could have replaced them with a program that always says VERIFIED (and
   runs anything on your computer). Save the verifier once, from a source you trust
   (the Tresor README, "Verifier for auditors" on the console's access-log page, or
   \`tresor audit verifier --out DIR\` run in your presence), note its SHA-256, and
   reuse that copy for every export. The genuine files of this version are:
     verify.mjs   SHA-256 ${o.verifier['verify.mjs']}
     verify.html  SHA-256 ${o.verifier['verify.html']}
   (this README came from the same machine: compare with what you noted, not with it).
   The copies here are a convenience for a first look.

2. Check the key out of band (once)
   log.vkey holds the log's public verifier key:
     ${o.vkey}
   Its fingerprint is:
     ${o.fingerprint}
   Ask the site (by phone, on paper, in person) to read you the fingerprint that
   \`tresor audit export\` prints there, or compare it with the one you noted last time.
   Everything below only means something if this key is the site's real key. Keep a
   copy of log.vkey and pass it to the verifier (--vkey): then an export signed by any
   other key is refused.

3. Verify
   With Node.js 20 or newer:
     node YOUR/verify.mjs THIS_FOLDER --checkpoint YOUR_CHECKPOINT --vkey YOUR_LOG_VKEY
   (--checkpoint and --vkey are yours from last time; leave them out on a first visit.)
   The first and the last line give the verdict; the exit code says the same:
     0  VERIFIED      every check passed and every entry of the log is accounted for:
                      the export starts at entry 0, or your checkpoint covers the entries
                      before its first one;
     1  NOT VERIFIED  a check failed; each failure is named;
     2                the verifier could not run (wrong folder, unreadable file);
     3  PARTIAL       every check passed, but the export starts after entry 0 and
                      nothing of yours covers the entries before it.
   Without Node.js, open your copy of verify.html in a browser (works offline from
   disk), choose your checkpoint and key if you have them, then this folder.

   What is checked, and what each check proves:
   - vkey: the key in log.vkey is a well-formed Ed25519 C2SP key (and equals yours);
   - signature, origin: \`checkpoint\` is a C2SP signed note with a valid Ed25519
     signature by that key, for this log's name: the site's key vouches for the size
     and Merkle root in it, and nobody without the key can make another;
   - line format: every line of entries.jsonl is one JSON object with the keys seq,
     time, actor, action, target, detail, prev, in that order and canonical form;
   - seq: entries are numbered without gaps, duplicates or reordering;
   - chain: each entry's prev is the SHA-256 of the line before it (zeros for seq 0);
   - tree root: the RFC 6962 Merkle root over ${o.start > 0 ? 'frontier.json and ' : ''}the entries equals the
     signed root, and the entry count equals the signed size: every entry here is
     exactly the one that was signed, nothing dropped, nothing appended unsigned;${o.since !== null ? `
   - history: previous-checkpoint (size ${o.since}) is signed by the same key, is not
     newer than this one (rollback), does not show the same size with another root
     (split view), and consistency.json proves (RFC 9162 §2.1.4) that this log
     extends it without rewriting anything;` : ''}
   - your checkpoint (with --checkpoint): it is signed by the key, not newer than this
     export, and its root is the root of these very entries at its size, so the log
     only grew since you last verified it; the export must start at or before it;
   - witnesses (with --policy YOUR_POLICY, lines "witness VKEY" and "quorum N"): the
     checkpoint carries valid C2SP cosignatures by at least N of your witnesses, each of
     which checked that it extends every checkpoint of this log it cosigned before; a
     witness never sees entries, and is only as independent as whoever runs it.
   What no export can show: a log re-signed from scratch with a new key (only your
   saved key or fingerprint catches that), or a different history shown to someone
   else (only comparing checkpoints off the box catches that).

4. Keep the checkpoint for next time
   Store the file \`checkpoint\` safely on your side, with log.vkey. Next time, hand
   a copy to the site and ask for an export with:
     tresor audit export --out DIR --since checkpoint
   and verify it with --checkpoint pointing at your stored copy. The next export then
   proves that the log only grew since this one.
   Entries in this export contain no personal data in the clear: recordings and
   people appear as ids and pseudonymous tokens.
`;
}
