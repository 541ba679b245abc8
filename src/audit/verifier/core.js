// Tresor audit-export verifier, shared by verify.mjs (node) and verify.html (browser).
// Plain script, no imports: it is inlined verbatim into both at export time. The host
// supplies `env` = { sha256Many(list) -> Uint8Array[] | Promise, ed25519(pub, msg, sig)
// -> boolean | Promise, progress?(done, total) } and, optionally, `yours` = { checkpoint?,
// vkey?, policy? }: the auditor's own checkpoint from last time, own copy of the log key and
// own witness policy, bytes kept on the auditor's side and never taken from the export.
// A policy file has lines `witness NAME+KEYID+KEY` (C2SP vkey, type 0x04) and `quorum N`
// (default: all listed); the checkpoint must carry valid C2SP tlog-cosignature/v1 lines
// by at least N of those witnesses.
//
// Checks (DESIGN §3 "Auditor export"): the verifier key (C2SP vkey), the checkpoint's
// signed-note signature and format (C2SP signed-note, tlog-checkpoint), origin = key name,
// each entry line's canonical format, seq numbering, the prev-hash chain, the RFC 6962
// root over frontier + entries against the signed root, the entry count against the signed
// size, and, with a previous checkpoint: its signature, no rollback, no split view (same
// size, other root), and the RFC 9162 §2.1.4.2 consistency proof.
//
// Verdicts: "verified" (every check passed and every entry of the log is accounted for:
// the export starts at 0, or at or before the size of the auditor's own checkpoint),
// "partial" (every check passed, but the export starts after entry 0 and nothing of the
// auditor's says what came before: a frontier.json proves only that *some* entries were
// there, not what they said), "failed". A frontier is computed from entries, so anyone on
// the box can delete any prefix of an export and add one; hence "partial" is never "verified".
'use strict';

const TRESOR_FILES = ['entries.jsonl', 'checkpoint', 'log.vkey', 'frontier.json', 'previous-checkpoint', 'consistency.json'];
const TRESOR_ENTRY_KEYS = ['seq', 'time', 'actor', 'action', 'target', 'detail', 'prev'];
const TRESOR_MAX_MESSAGES = 12;
const TRESOR_CHECK_ORDER = ['files', 'vkey', 'signature', 'checkpoint format', 'origin', 'policy', 'witnesses', 'previous checkpoint signature',
  'previous checkpoint format', 'your checkpoint signature', 'your checkpoint format', 'frontier', 'line format', 'seq', 'chain',
  'size', 'tree root', 'rollback', 'split view', 'consistency', 'your checkpoint'];
const TRESOR_CHUNK = 4096;

async function tresorVerify(files, env, yours) {
  const report = tresorReport();
  let scope = null;
  try {
    scope = await tresorVerifyInto(files, env, yours || {}, report);
  } catch (e) {
    report.fail('verifier', 'internal error: ' + (e && e.message ? e.message : String(e)));
  }
  const result = report.result();
  return Object.assign(result, tresorVerdict(result, scope), result.ok ? {} : tresorSummary(result, report.bad()));
}

// The one sentence both hosts print first: what this export proves, and what it does not.
function tresorVerdict(result, scope) {
  if (!result.ok || !scope) return { verdict: 'failed', headline: 'NOT VERIFIED' };
  const { start, size, yours, covered } = scope;
  const last = size - 1;
  if (start === 0) {
    const all = size === 0 ? '; the log is empty' : ' for all ' + size + ' entries (0…' + last + ')';
    return { verdict: 'verified', headline: 'VERIFIED: every check passed' + all + (yours !== null ? ', which extend your checkpoint (size ' + yours + ')' : '') };
  }
  const held = start === size ? 'this export holds no entries' : 'this export covers entries ' + start + '…' + last + ' only';
  if (covered) {
    const checked = start === size ? 'no new entries since your checkpoint' : 'entries ' + start + '…' + last + ' checked';
    return { verdict: 'verified', headline: 'VERIFIED: ' + checked + '; entries 0…' + (start - 1) + ' are covered by your checkpoint (size ' + yours + '), which you verified before' };
  }
  return {
    verdict: 'partial',
    headline: 'PARTIAL: ' + held + '; entries 0…' + (start - 1) + ' were not checked',
    advice: 'A partial export proves nothing about the entries before ' + start + ': anyone on the box can cut them off. ' +
      'Give the verifier your own checkpoint from your last visit to check that this export continues it, or ask for a full export.',
  };
}

// What an auditor reads after the verdict (issue 15 item 6): the first failure in plain
// words, then how much else fails. One removed line makes every later line fail its seq
// check; listing those hundreds of failures hides the one that matters.
// `bad`: the failing entries (tresorBadEntry), lowest seq first.
function tresorSummary(result, bad) {
  const failing = result.checks.filter((c) => !c.ok);
  const rank = (n) => (TRESOR_CHECK_ORDER.indexOf(n) + 1 || 99);
  const ENTRY_CHECKS = ['line format', 'seq', 'chain'];
  // A failure before the entries (files, keys, signatures, frontier) decides first: without
  // a trusted key or checkpoint nothing about the entries means anything.
  let firstCheck = failing.find((c) => rank(c.name) < rank('line format')) || null;
  let first;
  let entryFirst = false;
  if (firstCheck) first = firstCheck.plain || firstCheck.name + ': ' + firstCheck.messages[0];
  else if (bad.first) {
    entryFirst = true;
    first = tresorPlainEntry(bad.first);
  } else {
    firstCheck = failing.find((c) => !ENTRY_CHECKS.includes(c.name)) || failing[0];
    first = firstCheck.plain || firstCheck.name + ': ' + (firstCheck.messages[0] || 'failed');
  }
  const further = entryFirst ? bad.count - 1 : bad.count;
  const parts = [];
  const entries = (n) => n + (n === 1 ? ' entry' : ' entries');
  if (entryFirst && further === 0) parts.push('no further entries fail');
  else if (entryFirst && bad.first.kind === 'seq') {
    parts.push('and ' + further + (further === 1 ? ' further entry fails because it follows' : ' further entries fail because they follow') + ' it');
  } else if (further > 0) {
    // an entry out of place further on explains the failures after it
    const s = bad.shift && bad.shift !== bad.first ? bad.shift : null;
    const other = s ? further - bad.afterShift : further;
    let text = (entryFirst ? 'and ' + further + ' further' : further) + (further === 1 ? ' entry fails' : ' entries fail');
    if (s) {
      text += ': ' + tresorPlainEntry(s) + (bad.afterShift > 1 ? ', and the ' + entries(bad.afterShift - 1) + ' after it fail because they follow it' : '') +
        (other > 0 ? '; ' + entries(other) + ' more fail elsewhere' : '');
    }
    parts.push(text);
  }
  const others = failing.filter((c) => c !== firstCheck && !ENTRY_CHECKS.includes(c.name)).map((c) => c.name);
  if (others.length) parts.push((others.length === 1 ? 'the check ' : 'the checks ') + others.join(', ') + (others.length === 1 ? ' fails' : ' fail') + (entryFirst ? ' as a consequence' : ' too'));
  return { first, rest: parts.length ? parts.join('; ') + ' (details below)' : null, failedEntries: bad.count };
}

// The first failing entry as the auditor would say it.
function tresorPlainEntry(f) {
  const at = 'line ' + f.line;
  if (f.kind === 'format') return 'entry ' + f.seq + ' (' + at + ') was changed after it was written: it is no longer a well-formed entry (' + f.error + ')';
  if (f.kind === 'seq') {
    if (f.got > f.seq) {
      const gone = f.got - f.seq === 1 ? 'entry ' + f.seq + ' is missing' : 'entries ' + f.seq + '…' + (f.got - 1) + ' are missing';
      return gone + ': removed or moved after it was written (' + at + ' holds entry ' + f.got + ', where entry ' + f.seq + ' belongs)';
    }
    return 'entry ' + f.got + ' appears again at ' + at + ', where entry ' + f.seq + ' belongs: an entry was inserted, repeated or moved after it was written';
  }
  if (f.seq === 0) return 'entry 0 (' + at + ') was changed after it was written: it does not start the chain of the log';
  return 'entry ' + (f.seq - 1) + ' was changed after it was written: entry ' + f.seq + ', written after it, records a different SHA-256 of it';
}

// Failing entries: the first (lowest seq; on one seq the most telling kind) and how many
// distinct ones. Seqs arrive in order (lines, then segments in order), so a repeat is the last.
const TRESOR_KIND_RANK = { format: 0, seq: 1, chain: 2 };
// `shift`: the first entry out of place (kind seq) and how many failing entries start there:
// after an entry removed or inserted, every later one fails for that alone.
function tresorBadEntry(acc, f) {
  const fresh = f.seq !== acc.last;
  if (fresh) {
    acc.count++;
    acc.last = f.seq;
  }
  if (tresorFirstOf(acc.first, f)) acc.first = f;
  if (f.kind === 'seq' && !acc.shift) {
    acc.shift = f;
    acc.afterShift = 1;
  } else if (acc.shift && fresh) acc.afterShift++;
}
function tresorFirstOf(first, f) {
  return !first || (first.seq === f.seq && TRESOR_KIND_RANK[f.kind] < TRESOR_KIND_RANK[first.kind]);
}
function tresorNewBad() {
  return { first: null, count: 0, last: -1, shift: null, afterShift: 0 };
}

function tresorReport() {
  const checks = new Map();
  const bad = tresorNewBad();
  const get = (name) => {
    if (!checks.has(name)) checks.set(name, { name, ok: true, messages: [], more: 0, info: '' });
    return checks.get(name);
  };
  return {
    // `plain`: the failure in the auditor's words, when the message is a technician's
    fail(name, msg, plain) {
      const c = get(name);
      c.ok = false;
      if (plain && !c.plain) c.plain = plain;
      if (c.messages.length < TRESOR_MAX_MESSAGES) c.messages.push(msg);
      else c.more++;
    },
    // one failing entry: { seq, line, kind: 'format' | 'seq' | 'chain', error?, got? }
    entry(f) {
      tresorBadEntry(bad, f);
    },
    // a segment's failing entries (tresorScanSegment), merged in order
    entries(seg) {
      if (!seg.first) return;
      // the link into the segment may have failed on its first failing line already
      const overlap = seg.first.seq === bad.last ? 1 : 0;
      if (tresorFirstOf(bad.first, seg.first)) bad.first = seg.first;
      if (bad.shift) bad.afterShift += seg.count - overlap;
      else if (seg.shift) {
        bad.shift = seg.shift;
        bad.afterShift = seg.afterShift;
      }
      bad.count += seg.count - overlap;
      bad.last = seg.last;
    },
    bad() {
      return bad;
    },
    failMore(name, n) {
      const c = get(name);
      c.ok = false;
      c.more += n;
    },
    pass(name, info) {
      const c = get(name);
      if (info) c.info = info;
    },
    failed(name) {
      return checks.has(name) && !checks.get(name).ok;
    },
    result() {
      const rank = (n) => (TRESOR_CHECK_ORDER.indexOf(n) + 1 || 99);
      const list = [...checks.values()].sort((a, b) => rank(a.name) - rank(b.name));
      const failures = [];
      for (const c of list) {
        if (c.ok) continue;
        for (const m of c.messages) failures.push(c.name + ': ' + m);
        if (c.more) failures.push(c.name + ': … and ' + c.more + ' more');
      }
      return { ok: failures.length === 0, checks: list, failures };
    },
  };
}

async function tresorVerifyInto(files, env, yours, report) {
  const H = tresorHashing(env);
  // With your own key, the export's log.vkey is only compared, so it may be missing.
  for (const name of yours.vkey ? ['entries.jsonl', 'checkpoint'] : ['entries.jsonl', 'checkpoint', 'log.vkey']) {
    if (!files[name]) report.fail('files', name + ' is missing');
  }
  if (report.failed('files')) return null;

  // 1. The verifier key: the trust anchor. Yours if you gave it, else the export's, whose
  // fingerprint you then compare out of band.
  const key = await tresorKey(files, yours, H, report);
  if (!key) return null;

  // 2. The signed checkpoint.
  const cp = await tresorOpenCheckpoint(files['checkpoint'], key, env, 'checkpoint', report);
  // 2b. Witness quorum: the checkpoint was seen, and found consistent, by others.
  if (yours.policy && cp) await tresorCheckQuorum(yours.policy, files['checkpoint'], env, H, report);
  // 3. The previous checkpoint the export carries (the one given to the box with --since),
  // and your own, which only you hold: only yours can say what you verified before.
  let prev = null;
  if (files['previous-checkpoint']) prev = await tresorOpenCheckpoint(files['previous-checkpoint'], key, env, 'previous checkpoint', report);
  const mine = yours.checkpoint ? await tresorOpenCheckpoint(yours.checkpoint, key, env, 'your checkpoint', report) : null;
  if (!cp) return null;

  // 4. Frontier: the perfect subtrees left of this export's first entry.
  let start = 0;
  let stack = [];
  if (files['frontier.json']) {
    const fr = tresorParseFrontier(files['frontier.json']);
    if (fr.error) {
      report.fail('frontier', fr.error);
      return null;
    }
    start = fr.start;
    stack = fr.stack;
    report.pass('frontier', 'entries before ' + start + ' covered by ' + stack.length + ' subtree hashes (their content is not in this export)');
  }

  // 5. Entries: format, seq, chain, tree; roots are kept at the sizes of the checkpoints.
  const wanted = [prev, mine].filter((c) => c !== null).map((c) => c.size);
  const boundaries = [cp.size];
  for (const n of wanted) if (n > start && n < cp.size && !boundaries.includes(n)) boundaries.push(n);
  const roots = new Map();
  if (start === cp.size || wanted.includes(start)) roots.set(start, await tresorRoot(stack, H));
  const count = await tresorCheckEntries(files['entries.jsonl'], start, stack, boundaries, roots, H, env, report);
  const end = start + count;

  // 6. Entry count against the signed size.
  if (end < cp.size) {
    report.fail('size', 'the checkpoint is signed for ' + cp.size + ' entries but entries.jsonl ends at seq ' + (end - 1) +
      ': ' + (cp.size - end) + ' entries are missing (truncated log)',
    (cp.size - end === 1 ? 'entry ' + end + ' is missing' : 'entries ' + end + '…' + (cp.size - 1) + ' are missing') +
      ': the end of the log was cut off after the checkpoint was signed');
  } else if (end > cp.size) {
    report.fail('size', (end - cp.size) + ' entries after seq ' + (cp.size - 1) + ' are not covered by the signed checkpoint (appended without a signature)',
      (end - cp.size === 1 ? 'entry ' + cp.size + ' was' : 'entries ' + cp.size + '…' + (end - 1) + ' were') + ' added after the checkpoint was signed: nothing signed vouches for ' + (end - cp.size === 1 ? 'it' : 'them'));
  } else {
    report.pass('size', (count ? 'entries ' + start + '…' + (end - 1) : 'no entries') + ', checkpoint size ' + cp.size);
  }
  if (start > cp.size) report.fail('frontier', 'frontier start ' + start + ' is beyond the checkpoint size ' + cp.size);

  // 7. Root over all entries against the signed root.
  const root = roots.get(cp.size);
  if (!root) {
    report.fail('tree root', 'cannot recompute the root for size ' + cp.size + ': entries are missing');
  } else if (!tresorEqual(root, cp.root)) {
    report.fail('tree root', 'the entries hash to root ' + tresorHex(root) + ' but the signed checkpoint says ' + tresorHex(cp.root) +
      ' (an entry was edited, dropped, inserted or reordered, or the frontier is wrong)',
    'the entries are not the ones the checkpoint was signed for: every link between them holds, so the last entry (' + (end - 1) +
      ') was changed after it was written, or a run of entries was rewritten together with their links' +
      (start > 0 ? ', or frontier.json does not describe the entries before ' + start : ''));
  } else {
    report.pass('tree root', tresorHex(root));
  }

  // 8. History against the previous checkpoint in the export.
  if (prev) await tresorCheckHistory(files, prev, cp, roots, H, report);
  else if (files['consistency.json']) report.fail('consistency', 'consistency.json is present but previous-checkpoint is missing');

  // 9. Against your own checkpoint: this export must contain everything after it.
  const covered = mine ? tresorCheckYours(mine, cp, start, roots, report) : false;
  return { start, size: cp.size, yours: mine ? mine.size : null, covered };
}

async function tresorKey(files, yours, H, report) {
  const theirs = files['log.vkey'] ? tresorUtf8(files['log.vkey']).trim() : null;
  if (!yours.vkey) {
    const key = await tresorParseVkey(theirs, H);
    if (key.error) return report.fail('vkey', key.error), null;
    report.pass('vkey', key.name + '+' + key.keyIdHex + ' (from the export: compare its fingerprint out of band)');
    return key;
  }
  const line = tresorUtf8(yours.vkey).trim();
  const key = await tresorParseVkey(line, H);
  if (key.error) return report.fail('vkey', 'your key file: ' + key.error), null;
  if (theirs !== null && theirs !== line) {
    // Checking on with your key shows which signatures it does not make.
    report.fail('vkey', "the export's log.vkey is not your key (yours: " + key.name + '+' + key.keyIdHex + '; the export has: ' +
      theirs.split('+').slice(0, 2).join('+') + '): the log was re-keyed, or this is another log');
  } else {
    report.pass('vkey', 'your key ' + key.name + '+' + key.keyIdHex + (theirs !== null ? ", the same as the export's log.vkey" : ''));
  }
  return key;
}

// Your checkpoint is what you verified last time. The export continues it only when it is
// signed by the same key, no larger than this one, and its root is the root of these very
// entries at its size; then nothing before the export's first entry is unaccounted for.
function tresorCheckYours(mine, cp, start, roots, report) {
  const C = 'your checkpoint';
  if (mine.size > cp.size) {
    report.fail(C, 'this export is signed for ' + cp.size + ' entries but your checkpoint already had ' + mine.size +
      ': the log was rolled back, or this is an older export');
    return false;
  }
  if (mine.size === cp.size) {
    if (!tresorEqual(mine.root, cp.root)) {
      report.fail(C, 'two checkpoints for size ' + cp.size + ' with different roots (yours ' + tresorHex(mine.root) + ', this export ' +
        tresorHex(cp.root) + '): the log showed you a different history');
      return false;
    }
    report.pass(C, 'the same checkpoint as yours (size ' + cp.size + '): nothing was added since');
    return true;
  }
  if (start > mine.size) {
    report.fail(C, 'this export starts at entry ' + start + ' but your checkpoint has ' + mine.size + ' entries: entries ' + mine.size + '…' +
      (start - 1) + ' are not in it, so nothing shows what was logged after your last visit');
    return false;
  }
  // The recomputed root at your size means something only when the entries are the signed ones.
  const seen = roots.get(mine.size);
  if (!seen || report.failed('tree root') || report.failed('size') || report.failed('signature')) return false;
  if (!tresorEqual(seen, mine.root)) {
    report.fail(C, 'your checkpoint (size ' + mine.size + ') has root ' + tresorHex(mine.root) + ' but these entries give ' + tresorHex(seen) +
      ' at that size: the log showed you a different history');
    return false;
  }
  report.pass(C, 'size ' + mine.size + ' is a prefix of these entries: the log only grew since');
  return true;
}

async function tresorOpenCheckpoint(bytes, key, env, label, report) {
  const check = label === 'checkpoint' ? 'signature' : label + ' signature';
  const note = tresorOpenNote(bytes);
  if (note.error) {
    report.fail(check, label + ': ' + note.error);
    return null;
  }
  let good = 0;
  for (const s of note.sigs) {
    if (s.name !== key.name || !tresorEqual(s.keyId, key.keyId)) continue; // other keys are ignored (C2SP)
    const ok = s.sig.length === 64 && (await env.ed25519(key.publicKey, tresorUtf8Bytes(note.text), s.sig));
    if (!ok) {
      report.fail(check, label + ': the signature by ' + key.name + ' does not verify (text or signature altered)');
      return null;
    }
    good++;
  }
  if (good === 0) {
    const names = note.sigs.map((s) => s.name + '+' + tresorHex(s.keyId)).join(', ');
    report.fail(check, label + ' is not signed by the key in log.vkey (' + key.name + '+' + key.keyIdHex + '); signed by: ' + names);
    return null;
  }
  report.pass(check, label + ' signed by ' + key.name + '+' + key.keyIdHex);
  const cp = tresorParseCheckpoint(note.text);
  if (cp.error) {
    report.fail(label + ' format', cp.error);
    return null;
  }
  if (cp.origin !== key.name) {
    report.fail('origin', label + ' origin is "' + cp.origin + '" but the log key is "' + key.name + '"');
  } else {
    report.pass('origin', cp.origin);
  }
  return cp;
}

// C2SP tlog-cosignature v1: signature line "— name base64(keyID ‖ u64be time ‖ sig)", the
// Ed25519 signature over "cosignature/v1\ntime T\n" ‖ checkpoint body. A cosignature says
// the witness verified this checkpoint as consistent with every one of this log it saw before.
async function tresorCheckQuorum(policyBytes, noteBytes, env, H, report) {
  const policy = await tresorParsePolicy(policyBytes, H);
  if (policy.error) return report.fail('policy', policy.error);
  report.pass('policy', policy.witnesses.length + ' witness(es), quorum ' + policy.quorum);
  const note = tresorOpenNote(noteBytes);
  const good = [];
  for (const w of policy.witnesses) {
    for (const s of note.sigs) {
      if (s.name !== w.name || !tresorEqual(s.keyId, w.keyId)) continue;
      if (s.sig.length !== 72) {
        report.fail('witnesses', 'the cosignature by ' + w.name + ' has the wrong length');
        continue;
      }
      const hi = (s.sig[0] * 2 ** 24) + (s.sig[1] << 16) + (s.sig[2] << 8) + s.sig[3];
      const lo = (s.sig[4] * 2 ** 24) + (s.sig[5] << 16) + (s.sig[6] << 8) + s.sig[7];
      if (hi >= 2 ** 21) {
        report.fail('witnesses', 'the cosignature by ' + w.name + ' has an impossible time');
        continue;
      }
      const time = hi * 2 ** 32 + lo;
      const msg = tresorUtf8Bytes('cosignature/v1\ntime ' + time + '\n' + note.text);
      if (!(await env.ed25519(w.publicKey, msg, s.sig.subarray(8)))) {
        report.fail('witnesses', 'the cosignature by ' + w.name + ' does not verify (checkpoint or cosignature altered)');
        continue;
      }
      if (!good.some((g) => g.name === w.name)) good.push({ name: w.name, time });
    }
  }
  const list = good.map((g) => g.name + ' at ' + new Date(g.time * 1000).toISOString()).join(', ');
  if (good.length < policy.quorum) {
    report.fail('witnesses', 'cosigned by ' + good.length + ' of the ' + policy.witnesses.length + ' witnesses in your policy, ' + policy.quorum +
      ' required' + (good.length ? ' (' + list + ')' : '') + ': no quorum saw this checkpoint, so it may be a view shown to you alone');
  } else {
    report.pass('witnesses', good.length + ' of ' + policy.witnesses.length + ' cosigned (quorum ' + policy.quorum + '): ' + list);
  }
}

async function tresorParsePolicy(bytes, H) {
  const witnesses = [];
  let quorum = null;
  const lines = tresorUtf8(bytes).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    let m = /^witness\s+(\S+)$/.exec(line);
    if (m) {
      const k = await tresorParseVkey(m[1], H, 0x04);
      if (k.error) return { error: 'policy line ' + (i + 1) + ': ' + k.error.replace('log.vkey', 'witness key') };
      witnesses.push(k);
      continue;
    }
    m = /^quorum\s+(0|[1-9][0-9]*)$/.exec(line);
    if (m) {
      quorum = Number(m[1]);
      continue;
    }
    return { error: 'policy line ' + (i + 1) + ' is neither "witness VKEY" nor "quorum N"' };
  }
  if (witnesses.length === 0) return { error: 'the policy names no witness' };
  if (quorum === null) quorum = witnesses.length;
  if (quorum > witnesses.length) return { error: 'the policy asks for ' + quorum + ' cosignatures but names only ' + witnesses.length + ' witnesses' };
  return { witnesses, quorum };
}

async function tresorCheckHistory(files, prev, cp, roots, H, report) {
  if (prev.size > cp.size) {
    report.fail('rollback', 'this export is signed for ' + cp.size + ' entries but your previous checkpoint already had ' + prev.size +
      ': the log was rolled back or you were given an old checkpoint');
    return;
  }
  if (prev.size === cp.size) {
    if (!tresorEqual(prev.root, cp.root)) {
      report.fail('split view', 'two checkpoints for size ' + cp.size + ' with different roots (' + tresorHex(prev.root) + ' vs ' + tresorHex(cp.root) + ')');
    } else {
      report.pass('consistency', 'same checkpoint as last time (size ' + cp.size + ')');
    }
    return;
  }
  // Only when the entries are proven authentic by the current checkpoint does a
  // different root at the old size mean two histories (else the tree root check said it).
  const seen = report.failed('tree root') || report.failed('size') ? null : roots.get(prev.size);
  if (seen && !tresorEqual(seen, prev.root)) {
    report.fail('split view', 'your previous checkpoint (size ' + prev.size + ') has root ' + tresorHex(prev.root) +
      ' but these entries give ' + tresorHex(seen) + ' at that size: the log showed you a different history');
  }
  if (prev.size === 0) {
    report.pass('consistency', 'every log extends the empty log');
    return;
  }
  if (!files['consistency.json']) {
    report.fail('consistency', 'previous-checkpoint given but consistency.json is missing');
    return;
  }
  const proof = tresorParseConsistency(files['consistency.json']);
  if (proof.error) return report.fail('consistency', 'consistency.json is malformed: ' + proof.error);
  if (proof.oldSize !== prev.size || proof.newSize !== cp.size) {
    return report.fail('consistency', 'consistency.json is for sizes ' + proof.oldSize + '→' + proof.newSize + ' but the checkpoints are ' + prev.size + '→' + cp.size);
  }
  const why = await tresorConsistencyProblem(prev.size, cp.size, proof.hashes, prev.root, cp.root, H);
  if (why) report.fail('consistency', 'the log at ' + cp.size + ' is not an extension of your previous checkpoint at ' + prev.size + ': ' + why);
  else report.pass('consistency', prev.size + ' → ' + cp.size);
}

// ---- entries -------------------------------------------------------------------------

async function tresorCheckEntries(bytes, start, stack, boundaries, roots, H, env, report) {
  // The fast path (verify.mjs: worker threads, checks on the line bytes) takes only what
  // it can judge exactly as below: valid UTF-8 that ends with a newline. Anything else
  // takes this path, whose messages are the reference.
  if (env.scanSegments && env.isUtf8 && (bytes.length === 0 || bytes[bytes.length - 1] === 10) && (await env.isUtf8(bytes))) {
    return tresorCheckEntriesFast(bytes, start, stack, boundaries, roots, H, env, report);
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    report.fail('line format', 'entries.jsonl is not valid UTF-8');
    text = new TextDecoder('utf-8').decode(bytes);
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) report.fail('line format', 'entries.jsonl does not end with a newline (truncated?)');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // Byte offsets of each line: LF is one byte in UTF-8 and never inside a multi-byte char.
  const offsets = new Array(lines.length + 1);
  offsets[0] = 0;
  for (let i = 0, p = 0; i < lines.length; i++) {
    const nl = bytes.indexOf(10, p);
    p = nl < 0 ? bytes.length : nl + 1;
    offsets[i + 1] = p;
  }
  const lineBytes = (i) => bytes.subarray(offsets[i], offsets[i + 1] - (bytes[offsets[i + 1] - 1] === 10 ? 1 : 0));
  let prevHash = null;
  let chainOk = true;
  let formatOk = true;
  let seqOk = true;
  for (let c = 0; c < lines.length; ) {
    let cEnd = Math.min(lines.length, c + TRESOR_CHUNK);
    for (const b of boundaries) if (b - start > c && b - start < cEnd) cEnd = b - start; // stop where a root is needed
    const chunk = [];
    for (let i = c; i < cEnd; i++) chunk.push(lineBytes(i));
    // RFC 6962: leaf hash = SHA-256(0x00 ‖ line); one buffer per chunk keeps GC quiet.
    const leafBuf = new Uint8Array(offsets[cEnd] - offsets[c] + chunk.length);
    const leafIn = [];
    for (let k = 0, p = 0; k < chunk.length; k++) {
      leafBuf.set(chunk[k], p + 1);
      leafIn.push(leafBuf.subarray(p, p + 1 + chunk[k].length));
      p += 1 + chunk[k].length;
    }
    const chainHashes = await H.many(chunk);
    const leafHashes = await H.many(leafIn);
    for (let i = c; i < cEnd; i++) {
      const seq = start + i;
      const e = tresorParseLine(lines[i]);
      if (e.error) {
        formatOk = false;
        report.fail('line format', 'line ' + (i + 1) + ' (seq ' + seq + '): ' + e.error);
        report.entry({ seq, line: i + 1, kind: 'format', error: e.error });
      } else {
        if (e.entry.seq !== seq) {
          seqOk = false;
          report.fail('seq', 'line ' + (i + 1) + ' has seq ' + e.entry.seq + ', expected ' + seq + ' (entries dropped, duplicated or reordered)');
          report.entry({ seq, line: i + 1, kind: 'seq', got: e.entry.seq });
        }
        const want = i === 0 ? (start === 0 ? TRESOR_ZERO_HASH : null) : prevHash;
        if (want !== null && !tresorHexEquals(e.entry.prev, want)) {
          chainOk = false;
          report.fail('chain', 'seq ' + seq + ': prev does not match the SHA-256 of the line before it');
          report.entry({ seq, line: i + 1, kind: 'chain' });
        }
      }
      prevHash = chainHashes[i - c];
    }
    stack = await tresorAppendLeaves(stack, leafHashes, H);
    c = cEnd;
    const size = start + c;
    if (boundaries.includes(size)) roots.set(size, await tresorRoot(stack, H));
    if (env.progress) env.progress(c, lines.length);
  }
  if (formatOk) report.pass('line format', lines.length + ' lines');
  if (seqOk) report.pass('seq', lines.length ? 'seq ' + start + '…' + (start + lines.length - 1) : 'no entries');
  if (chainOk) report.pass('chain', start > 0 ? 'linked from seq ' + start + ' (earlier links are covered by the tree root)' : 'linked from seq 0');
  return lines.length;
}

// ---- entries, fast path --------------------------------------------------------------
// The same checks, split into segments of lines that a host may judge in parallel
// (env.scanSegments: verify.mjs hands them to worker threads, each running
// tresorScanSegment with a synchronous SHA-256). A segment returns its messages per check
// in line order (the first TRESOR_MAX_MESSAGES and a count), the prev field of its first
// line and the chain hash of its last (the links between segments are checked here), and
// the compact range of its leaves, which is merged here in order.

async function tresorCheckEntriesFast(bytes, start, stack, boundaries, roots, H, env, report) {
  // Line starts, where segments begin: every line ends with LF (checked by the caller).
  // The host may know where the LFs are (verify.mjs: found while reading the file).
  const newlines = env.newlines ? env.newlines(bytes) : null;
  const total = newlines ? newlines.length : tresorCountLines(bytes);
  const cuts = new Set([0, total]);
  const parts = Math.max(1, env.parallelism || 1) * 4;
  for (let k = 1; k < parts; k++) cuts.add(Math.floor((total * k) / parts));
  for (const b of boundaries) if (b - start > 0 && b - start < total) cuts.add(b - start);
  const lineCuts = [...cuts].sort((a, b) => a - b);
  const offsets = newlines ? lineCuts.map((c) => (c === 0 ? 0 : newlines[c - 1] + 1)) : tresorLineOffsets(bytes, lineCuts);
  const segments = [];
  for (let k = 0; k + 1 < lineCuts.length; k++) {
    if (lineCuts[k + 1] > lineCuts[k]) segments.push({ from: offsets[k], to: offsets[k + 1], line: lineCuts[k], start });
  }
  const results = await env.scanSegments(bytes, segments);
  let last = null;
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k];
    const r = results[k];
    // The link into this segment: the first line's prev against the line before it.
    const want = seg.line === 0 ? (start === 0 ? TRESOR_ZERO_HASH : null) : last;
    if (want !== null && r.firstPrev !== null && !tresorHexEquals(r.firstPrev, want)) {
      report.fail('chain', 'seq ' + (start + seg.line) + ': prev does not match the SHA-256 of the line before it');
      report.entry({ seq: start + seg.line, line: seg.line + 1, kind: 'chain' });
    }
    report.entries(r.bad);
    for (const name of ['line format', 'seq', 'chain']) {
      const m = r.messages[name];
      if (!m) continue;
      for (const msg of m.list) report.fail(name, msg);
      if (m.more) report.failMore(name, m.more);
    }
    last = r.lastHash;
    for (const n of r.nodes) stack = await tresorAppendNode(stack, n.level, n.hash, H);
    const size = start + seg.line + r.count;
    if (boundaries.includes(size)) roots.set(size, await tresorRoot(stack, H));
  }
  if (!report.failed('line format')) report.pass('line format', total + ' lines');
  if (!report.failed('seq')) report.pass('seq', total ? 'seq ' + start + '…' + (start + total - 1) : 'no entries');
  if (!report.failed('chain')) report.pass('chain', start > 0 ? 'linked from seq ' + start + ' (earlier links are covered by the tree root)' : 'linked from seq 0');
  return total;
}

function tresorCountLines(bytes) {
  let n = 0;
  for (let p = bytes.indexOf(10); p >= 0; p = bytes.indexOf(10, p + 1)) n++;
  return n;
}

// Byte offsets of the given (sorted) line numbers.
function tresorLineOffsets(bytes, lines) {
  const out = [];
  let line = 0;
  let p = 0;
  for (const want of lines) {
    while (line < want) {
      p = bytes.indexOf(10, p) + 1;
      line++;
    }
    out.push(p);
  }
  return out;
}

// Appends a perfect subtree (of 2^level leaves, aligned, right after the stack's end) to
// the compact range: merges while it is a right child of a node whose left half is on top.
async function tresorAppendNode(stack, level, hash, H) {
  stack = stack.slice();
  let end = 0;
  for (const n of stack) end += 2 ** n.level;
  let pos = end / 2 ** level;
  while (pos % 2 === 1 && stack.length && stack[stack.length - 1].level === level) {
    hash = await H.children(stack.pop().hash, hash);
    level++;
    pos = (pos - 1) / 2;
  }
  stack.push({ level, hash });
  return stack;
}

// One segment, synchronously: lines [seg.line, …) at bytes [seg.from, seg.to), leaves
// start + seg.line…; `sha256(bytes)` is synchronous here and gives the digest as 32 bytes
// or as a 32-character latin1 string (verify.mjs: node's crypto.hash with 'latin1' output
// costs a third of its 'buffer' output, which allocates a backing store per call).
// Digests are kept as eight big-endian 32-bit words: the chain hash is compared with the
// next line's prev digits in place, and the tree nodes are hashed from the words.
function tresorScanSegment(bytes, seg, sha256) {
  const messages = {};
  const bad = tresorNewBad();
  const fail = (name, msg, f) => {
    const m = messages[name] || (messages[name] = { list: [], more: 0 });
    if (m.list.length < TRESOR_MAX_MESSAGES) m.list.push(msg);
    else m.more++;
    tresorBadEntry(bad, f);
  };
  let decoder = null;
  let scratch = new Uint8Array(4096); // 0x00 ‖ line, the RFC 6962 leaf input
  const range = new Int32Array(8 * 70); // the compact range: 8 words per subtree hash
  const levels = [];
  let n = 0;
  const chain = new Int32Array(8); // SHA-256 of the line before
  const nodeIn = new Uint8Array(65); // 0x01 ‖ left ‖ right, RFC 6962 §2.1
  nodeIn[0] = 1;
  let firstPrev = null;
  let i = seg.line;
  let p = seg.from;
  for (; p < seg.to; i++) {
    const nl = bytes.indexOf(10, p);
    const end = nl < 0 || nl > seg.to ? seg.to : nl;
    const line = bytes.subarray(p, end);
    const seq = seg.start + i;
    const prevAt = tresorFastLine(bytes, p, end, seq);
    if (prevAt >= 0) {
      if (i === seg.line) firstPrev = tresorAscii(bytes, prevAt, prevAt + 64);
      else if (!tresorHexWordsEqual(bytes, prevAt, chain)) {
        fail('chain', 'seq ' + seq + ': prev does not match the SHA-256 of the line before it', { seq, line: i + 1, kind: 'chain' });
      }
    } else {
      decoder = decoder || new TextDecoder('utf-8');
      const e = tresorParseLine(decoder.decode(line));
      if (e.error) {
        fail('line format', 'line ' + (i + 1) + ' (seq ' + seq + '): ' + e.error, { seq, line: i + 1, kind: 'format', error: e.error });
      } else {
        if (e.entry.seq !== seq) {
          fail('seq', 'line ' + (i + 1) + ' has seq ' + e.entry.seq + ', expected ' + seq + ' (entries dropped, duplicated or reordered)',
            { seq, line: i + 1, kind: 'seq', got: e.entry.seq });
        }
        if (i === seg.line) firstPrev = e.entry.prev;
        else if (!tresorHexEquals(e.entry.prev, tresorWordsBytes(chain, 0))) {
          fail('chain', 'seq ' + seq + ': prev does not match the SHA-256 of the line before it', { seq, line: i + 1, kind: 'chain' });
        }
      }
    }
    tresorDigestWords(sha256(line), chain, 0);
    // RFC 6962 leaf hash SHA-256(0x00 ‖ line), then into the compact range.
    const len = end - p;
    if (scratch.length < len + 1) scratch = new Uint8Array(2 * len + 1);
    scratch.set(line, 1);
    tresorDigestWords(sha256(scratch.subarray(0, len + 1)), range, 8 * n);
    let level = 0;
    let pos = seq;
    while (pos % 2 === 1 && n > 0 && levels[n - 1] === level) {
      tresorNodeWords(range, 8 * (n - 1), nodeIn, sha256);
      n--;
      level++;
      pos = (pos - 1) / 2;
    }
    levels[n++] = level;
    p = end + 1;
  }
  const nodes = [];
  for (let k = 0; k < n; k++) nodes.push({ level: levels[k], hash: tresorWordsBytes(range, 8 * k) });
  return { count: i - seg.line, firstPrev, lastHash: i > seg.line ? tresorWordsBytes(chain, 0) : null, messages, bad, nodes };
}

// A digest (32 bytes, or 32 latin1 characters) as eight big-endian words at w[o…].
function tresorDigestWords(d, w, o) {
  if (typeof d === 'string') {
    for (let k = 0; k < 8; k++) {
      w[o + k] = (d.charCodeAt(4 * k) << 24) | (d.charCodeAt(4 * k + 1) << 16) | (d.charCodeAt(4 * k + 2) << 8) | d.charCodeAt(4 * k + 3);
    }
  } else {
    for (let k = 0; k < 8; k++) w[o + k] = (d[4 * k] << 24) | (d[4 * k + 1] << 16) | (d[4 * k + 2] << 8) | d[4 * k + 3];
  }
}
function tresorWordsBytes(w, o) {
  const out = new Uint8Array(32);
  for (let k = 0; k < 8; k++) {
    const v = w[o + k];
    out[4 * k] = v >>> 24;
    out[4 * k + 1] = (v >>> 16) & 255;
    out[4 * k + 2] = (v >>> 8) & 255;
    out[4 * k + 3] = v & 255;
  }
  return out;
}
// 64 lowercase hex digits at b[p…] (checked by tresorFastLine) against the words w[0…8].
function tresorHexWordsEqual(b, p, w) {
  for (let k = 0; k < 8; k++) {
    let v = 0;
    for (let j = p + 8 * k, e = j + 8; j < e; j++) {
      const c = b[j];
      v = (v << 4) | (c < 97 ? c - 48 : c - 87);
    }
    if (v !== w[k]) return false;
  }
  return true;
}

// SHA-256(0x01 ‖ left ‖ right) for the tree nodes of tresorScanSegment: left at w[lo…lo+8],
// right right after it, the result replaces left; `buf` is 65 bytes starting with 0x01.
// (Node's crypto.hash with latin1 output beats SHA-256 in plain JS here, 0.75 vs 1.2 µs.)
function tresorNodeWords(w, lo, buf, sha256) {
  for (let k = 0; k < 16; k++) {
    const v = w[lo + k];
    buf[1 + 4 * k] = v >>> 24;
    buf[2 + 4 * k] = (v >>> 16) & 255;
    buf[3 + 4 * k] = (v >>> 8) & 255;
    buf[4 + 4 * k] = v & 255;
  }
  tresorDigestWords(sha256(buf), w, lo);
}

// A line that is exactly what tresorParseLine accepts, judged on its bytes: the keys in
// order, seq equal to `seq`, every value in the one form JSON.stringify writes. Returns the
// offset of prev's 64 hex digits, or -1 when it cannot say (the caller then parses the
// line the slow way, which names the problem). Sound, not complete: when unsure, -1.
const TRESOR_B = (s) => Array.from(s, (c) => c.charCodeAt(0));
const TRESOR_K_SEQ = TRESOR_B('{"seq":');
const TRESOR_K_TIME = TRESOR_B(',"time":"');
const TRESOR_K_ACTOR = TRESOR_B('","actor":');
const TRESOR_K_ACTION = TRESOR_B(',"action":"');
const TRESOR_K_TARGET = TRESOR_B(',"target":');
const TRESOR_K_DETAIL = TRESOR_B(',"detail":');
const TRESOR_K_PREV = TRESOR_B(',"prev":"');
const TRESOR_K_TRUE = TRESOR_B('true');
const TRESOR_K_FALSE = TRESOR_B('false');
const TRESOR_K_NULL = TRESOR_B('null');
const TRESOR_HEX_DIGIT = new Uint8Array(256).map((_, c) => ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) ? 1 : 0));

function tresorLit(b, p, lit) {
  for (let k = 0; k < lit.length; k++) if (b[p + k] !== lit[k]) return -1;
  return p + lit.length;
}

function tresorFastLine(b, p, end, seq) {
  p = tresorLit(b, p, TRESOR_K_SEQ);
  if (p < 0) return -1;
  // seq: canonical decimal (no leading zero) equal to the expected one
  if (!(b[p] >= 0x30 && b[p] <= 0x39) || (b[p] === 0x30 && b[p + 1] !== 0x2c)) return -1;
  let v = 0;
  for (; b[p] >= 0x30 && b[p] <= 0x39; p++) {
    v = v * 10 + (b[p] - 0x30);
    if (v > seq) return -1;
  }
  if (v !== seq) return -1;
  p = tresorLit(b, p, TRESOR_K_TIME);
  if (p < 0 || !tresorFastTime(b, p)) return -1;
  p = tresorLit(b, p + 24, TRESOR_K_ACTOR);
  if (p < 0 || b[p + 1] === 0x22) return -1; // actor must not be empty
  p = tresorFastString(b, p, end);
  if (p < 0) return -1;
  p = tresorLit(b, p, TRESOR_K_ACTION);
  if (p < 0) return -1;
  // action: [a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*, no escapes needed
  if (!(b[p] >= 0x61 && b[p] <= 0x7a)) return -1;
  p++;
  for (;;) {
    const c = b[p];
    if (tresorActionChar(c)) p++;
    else if (c === 0x2e && tresorActionChar(b[p + 1])) p += 2;
    else break;
  }
  if (b[p] !== 0x22) return -1;
  p = tresorLit(b, p + 1, TRESOR_K_TARGET);
  if (p < 0) return -1;
  p = tresorFastString(b, p, end);
  if (p < 0) return -1;
  p = tresorLit(b, p, TRESOR_K_DETAIL);
  if (p < 0 || b[p] !== 0x7b) return -1;
  p = tresorFastValue(b, p, end, 0);
  if (p < 0) return -1;
  p = tresorLit(b, p, TRESOR_K_PREV);
  if (p < 0 || p + 66 !== end || b[p + 64] !== 0x22 || b[p + 65] !== 0x7d) return -1;
  const hex = TRESOR_HEX_DIGIT;
  for (let k = p; k < p + 64; k++) if (hex[b[k]] === 0) return -1;
  return p;
}

// dddd-dd-ddTdd:dd:dd.dddZ with fields that Date.parse surely accepts (days up to 28;
// anything else goes the slow way, where Date.parse decides).
function tresorDigit(b, k) {
  const c = b[k];
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : -1000;
}
function tresorActionChar(c) {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
}
function tresorFastTime(b, p) {
  if (b[p + 4] !== 0x2d || b[p + 7] !== 0x2d || b[p + 10] !== 0x54 || b[p + 13] !== 0x3a || b[p + 16] !== 0x3a || b[p + 19] !== 0x2e || b[p + 23] !== 0x5a) return false;
  if (tresorDigit(b, p) < 0 || tresorDigit(b, p + 1) < 0 || tresorDigit(b, p + 2) < 0 || tresorDigit(b, p + 3) < 0 ||
    tresorDigit(b, p + 20) < 0 || tresorDigit(b, p + 21) < 0 || tresorDigit(b, p + 22) < 0) return false;
  const mo = tresorDigit(b, p + 5) * 10 + tresorDigit(b, p + 6);
  const da = tresorDigit(b, p + 8) * 10 + tresorDigit(b, p + 9);
  const h = tresorDigit(b, p + 11) * 10 + tresorDigit(b, p + 12);
  const mi = tresorDigit(b, p + 14) * 10 + tresorDigit(b, p + 15);
  const se = tresorDigit(b, p + 17) * 10 + tresorDigit(b, p + 18);
  return mo >= 1 && mo <= 12 && da >= 1 && da <= 28 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 59;
}

// A JSON string in JSON.stringify's form (p at the opening quote); returns the offset after
// the closing quote, or -1. Raw bytes ≥ 0x80 are fine (the file is valid UTF-8, which holds
// no lone surrogates); escapes only where JSON.stringify writes them.
// Bytes that stand for themselves inside a JSON string (not '"', '\\' or a control).
const TRESOR_PLAIN = new Uint8Array(256).map((_, c) => (c >= 0x20 && c !== 0x22 && c !== 0x5c ? 1 : 0));
function tresorFastString(b, p, end) {
  if (b[p] !== 0x22) return -1;
  const plain = TRESOR_PLAIN;
  for (p++; p < end; p++) {
    while (plain[b[p]] === 1) p++;
    if (p >= end) return -1;
    const c = b[p];
    if (c === 0x22) return p + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = b[++p];
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) continue;
      if (e !== 0x75 || b[p + 1] !== 0x30 || b[p + 2] !== 0x30) return -1;
      const v = tresorHexDigit(b[p + 3]) * 16 + tresorHexDigit(b[p + 4]);
      // \\u00XX only for controls without a short form (JSON.stringify writes \\b \\t \\n \\f \\r)
      if (v < 0 || v >= 0x20 || v === 8 || v === 9 || v === 10 || v === 12 || v === 13) return -1;
      p += 4;
    }
  }
  return -1;
}

function tresorHexDigit(x) {
  return x >= 0x30 && x <= 0x39 ? x - 0x30 : x >= 0x61 && x <= 0x66 ? x - 0x57 : -1000;
}

// Any JSON value in JSON.stringify's form, no whitespace; objects with distinct, plain keys
// that are not array indices (those JSON.stringify would move to the front).
function tresorFastValue(b, p, end, depth) {
  const c = b[p];
  if (c === 0x22) return tresorFastString(b, p, end);
  if (c === 0x7b || c === 0x5b) {
    if (depth > 64) return -1;
    const obj = c === 0x7b;
    const close = obj ? 0x7d : 0x5d;
    p++;
    if (b[p] === close) return p + 1;
    // keys as byte ranges [from, to) inside the quotes, compared in place
    const keys = obj ? [] : null;
    for (;;) {
      if (obj) {
        const k0 = p + 1;
        p = tresorFastString(b, p, end);
        if (p < 0) return -1;
        const k1 = p - 1;
        let digits = k1 > k0;
        for (let k = k0; k < k1; k++) {
          const x = b[k];
          if (x === 0x5c || x >= 0x80) return -1; // escaped or non-ASCII keys: the slow way
          if (x < 0x30 || x > 0x39) digits = false;
        }
        // all-digit keys may be array indices, which JSON.stringify moves to the front
        if (digits || keys.length >= 64) return -1;
        for (let j = 0; j < keys.length; j += 2) if (tresorSameBytes(b, keys[j], keys[j + 1], k0, k1)) return -1;
        keys.push(k0, k1);
        if (b[p] !== 0x3a) return -1;
        p++;
      }
      p = tresorFastValue(b, p, end, depth + 1);
      if (p < 0) return -1;
      if (b[p] === 0x2c) {
        p++;
        continue;
      }
      return b[p] === close ? p + 1 : -1;
    }
  }
  if (c === 0x74) return tresorLit(b, p, TRESOR_K_TRUE);
  if (c === 0x66) return tresorLit(b, p, TRESOR_K_FALSE);
  if (c === 0x6e) return tresorLit(b, p, TRESOR_K_NULL);
  // an integer of at most 15 digits without a leading zero is what String(Number(token))
  // gives back (all below 2^53), except -0
  let q = c === 0x2d ? p + 1 : p;
  const d0 = q;
  while (q < end && b[q] >= 0x30 && b[q] <= 0x39) q++;
  const x = b[q];
  if (q > d0 && q - d0 <= 15 && (b[d0] !== 0x30 || (q === d0 + 1 && c !== 0x2d)) && x !== 0x2e && x !== 0x65 && x !== 0x45) return q;
  // any other number: the token must be what String(Number(token)) gives back
  q = p;
  let tok = '';
  while (q < end) {
    const y = b[q];
    if (!((y >= 0x30 && y <= 0x39) || y === 0x2d || y === 0x2b || y === 0x2e || y === 0x65 || y === 0x45)) break;
    tok += String.fromCharCode(y);
    q++;
  }
  if (tok === '' || !/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(tok) || String(Number(tok)) !== tok) return -1;
  return q;
}

function tresorSameBytes(b, a0, a1, b0, b1) {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (b[a0 + k] !== b[b0 + k]) return false;
  return true;
}

function tresorAscii(b, from, to) {
  let s = '';
  for (let k = from; k < to; k++) s += String.fromCharCode(b[k]);
  return s;
}

// 64 lowercase hex digits at b[p…] against 32 bytes h.
function tresorHexBytesEqual(b, p, h) {
  for (let i = 0; i < 32; i++) {
    const hi = b[p + 2 * i];
    const lo = b[p + 2 * i + 1];
    const v = ((hi < 97 ? hi - 48 : hi - 87) * 16) + (lo < 97 ? lo - 48 : lo - 87);
    if (v !== h[i]) return false;
  }
  return true;
}

function tresorParseLine(line) {
  let o;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return { error: 'not valid JSON' };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object' };
  const keys = Object.keys(o);
  if (keys.length !== TRESOR_ENTRY_KEYS.length || keys.some((k, i) => k !== TRESOR_ENTRY_KEYS[i])) {
    return { error: 'keys must be exactly ' + TRESOR_ENTRY_KEYS.join(', ') + ' in this order' };
  }
  if (!Number.isSafeInteger(o.seq) || o.seq < 0) return { error: 'seq is not a non-negative integer' };
  if (typeof o.time !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(o.time) || isNaN(Date.parse(o.time))) {
    return { error: 'time is not RFC 3339 UTC with milliseconds' };
  }
  if (typeof o.actor !== 'string' || o.actor === '') return { error: 'actor is not a non-empty string' };
  if (typeof o.action !== 'string' || !/^[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/.test(o.action)) return { error: 'action is not dotted lowercase' };
  if (typeof o.target !== 'string') return { error: 'target is not a string' };
  if (typeof o.detail !== 'object' || o.detail === null || Array.isArray(o.detail)) return { error: 'detail is not an object' };
  if (typeof o.prev !== 'string' || !/^[0-9a-f]{64}$/.test(o.prev)) return { error: 'prev is not 64 lowercase hex digits' };
  // The line is hashed as written, so it must be the one canonical serialisation.
  if (JSON.stringify(o) !== line) return { error: 'not in canonical form (spacing, escaping or number format was changed)' };
  return { entry: o };
}

// ---- RFC 6962 tree -------------------------------------------------------------------

function tresorHashing(env) {
  const many = (list) => Promise.resolve(env.sha256Many(list));
  const node = (l, r, buf = new Uint8Array(65)) => {
    buf[0] = 1; // SHA-256(0x01 ‖ left ‖ right)
    buf.set(l, 1);
    buf.set(r, 33);
    return buf;
  };
  return {
    many,
    nodes: (pairs) => {
      const buf = new Uint8Array(65 * pairs.length);
      return many(pairs.map(([l, r], i) => node(l, r, buf.subarray(65 * i, 65 * i + 65))));
    },
    children: async (l, r) => (await many([node(l, r)]))[0],
    one: async (b) => (await many([b]))[0],
  };
}

// The compact range: one perfect subtree per set bit of the size, highest level first.
// Appending a batch merges level by level so each level is one batch of hashes.
async function tresorAppendLeaves(stack, leaves, H) {
  stack = stack.slice();
  const leftovers = [];
  let carry = leaves;
  for (let level = 0; carry.length > 0; level++) {
    let list = carry;
    if (stack.length && stack[stack.length - 1].level === level) list = [stack.pop().hash].concat(carry);
    const pairs = [];
    for (let i = 0; i + 1 < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
    if (list.length % 2 === 1) leftovers.push({ level, hash: list[list.length - 1] });
    carry = pairs.length ? await H.nodes(pairs) : [];
  }
  leftovers.sort((a, b) => b.level - a.level);
  return stack.concat(leftovers);
}

async function tresorRoot(stack, H) {
  if (stack.length === 0) return H.one(new Uint8Array(0)); // MTH({}) = SHA-256()
  let acc = stack[stack.length - 1].hash;
  for (let i = stack.length - 2; i >= 0; i--) acc = await H.children(stack[i].hash, acc);
  return acc;
}

function tresorParseFrontier(bytes) {
  let o;
  try {
    o = JSON.parse(tresorUtf8(bytes));
  } catch (e) {
    return { error: 'frontier.json is not valid JSON' };
  }
  if (!o || !Number.isSafeInteger(o.start) || o.start < 0 || !Array.isArray(o.hashes)) return { error: 'frontier.json needs {"start": n, "hashes": [hex…]}' };
  const levels = [];
  for (let n = o.start, level = 0; n > 0; n = Math.floor(n / 2), level++) if (n % 2 === 1) levels.unshift(level);
  if (o.hashes.length !== levels.length) return { error: 'frontier for start ' + o.start + ' needs ' + levels.length + ' hashes, has ' + o.hashes.length };
  const stack = [];
  for (let i = 0; i < levels.length; i++) {
    const h = tresorFromHex(o.hashes[i]);
    if (!h) return { error: 'frontier hash #' + i + ' is not 64 hex digits' };
    stack.push({ level: levels[i], hash: h });
  }
  return { start: o.start, stack };
}

function tresorParseConsistency(bytes) {
  let o;
  try {
    o = JSON.parse(tresorUtf8(bytes));
  } catch (e) {
    return { error: 'not valid JSON' };
  }
  if (!o || !Number.isSafeInteger(o.old_size) || !Number.isSafeInteger(o.new_size) || !Array.isArray(o.hashes)) {
    return { error: 'needs {"old_size", "new_size", "hashes": [hex…]}' };
  }
  const hashes = [];
  for (let i = 0; i < o.hashes.length; i++) {
    const h = tresorFromHex(o.hashes[i]);
    if (!h) return { error: 'hash #' + i + ' is not 64 hex digits' };
    hashes.push(h);
  }
  return { oldSize: o.old_size, newSize: o.new_size, hashes };
}

// RFC 9162 §2.1.4.2, with arithmetic instead of 32-bit bit operators (sizes beyond 2^32).
async function tresorConsistencyProblem(size1, size2, proof, root1, root2, H) {
  if (size2 < size1) return 'new size is smaller than old size';
  if (size1 === 0) return 'a proof from the empty tree is meaningless';
  if (size1 === size2) return proof.length ? 'sizes are equal but the proof is not empty' : tresorEqual(root1, root2) ? null : 'roots differ';
  if (proof.length === 0) return 'proof is empty';
  const half = (n) => Math.floor(n / 2);
  let pow2 = size1;
  while (pow2 % 2 === 0) pow2 /= 2;
  const path = pow2 === 1 ? [root1].concat(proof) : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return 'proof has too many hashes';
    if (fn % 2 === 1 || fn === sn) {
      fr = await H.children(c, fr);
      sr = await H.children(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await H.children(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return 'proof has too few hashes';
  if (!tresorEqual(fr, root1)) return 'proof does not lead to the previous root';
  if (!tresorEqual(sr, root2)) return 'proof does not lead to the new root';
  return null;
}

// ---- C2SP signed-note, vkey, tlog-checkpoint -------------------------------------------

async function tresorParseVkey(line, H, type = 0x01) {
  // Split at the first two '+' only (as Go's note.NewVerifier): base64 may contain '+'.
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(line);
  if (!m) return { error: 'log.vkey is not name+keyid+key' };
  const [, name, idHex, b64] = m;
  if (!tresorValidName(name) || !/^[0-9a-f]{8}$/.test(idHex)) return { error: 'log.vkey has a bad name or key ID' };
  const k = tresorBase64(b64);
  if (!k || k.length !== 33 || k[0] !== type) return { error: 'log.vkey is not an Ed25519 (type 0x0' + type + ') key' };
  const publicKey = k.subarray(1);
  // key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey)[:4]
  const nb = tresorUtf8Bytes(name);
  const buf = new Uint8Array(nb.length + 2 + 32);
  buf.set(nb, 0);
  buf[nb.length] = 0x0a;
  buf[nb.length + 1] = type;
  buf.set(publicKey, nb.length + 2);
  const keyId = (await H.one(buf)).subarray(0, 4);
  if (tresorHex(keyId) !== idHex) return { error: 'log.vkey key ID does not match its name and key' };
  return { name, keyId, keyIdHex: idHex, publicKey };
}

function tresorOpenNote(bytes) {
  let msg;
  try {
    msg = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    return { error: 'malformed note: not valid UTF-8' };
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(msg)) return { error: 'malformed note: control character' };
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) return { error: 'malformed note: no blank line before the signatures' };
  const text = msg.slice(0, split + 1);
  const sigLines = msg.slice(split + 2);
  if (!sigLines.endsWith('\n')) return { error: 'malformed note: no signature lines' };
  const sigs = [];
  for (const line of sigLines.slice(0, -1).split('\n')) {
    if (!line.startsWith('\u2014 ')) return { error: 'malformed note: a signature line does not start with "— "' };
    const rest = line.slice(2);
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? '' : rest.slice(sp + 1);
    const raw = tresorBase64(b64);
    if (!tresorValidName(name) || !raw || raw.length < 5) return { error: 'malformed note: bad signature line' };
    if (sigs.length >= 100) return { error: 'malformed note: too many signatures' };
    sigs.push({ name, keyId: raw.subarray(0, 4), sig: raw.subarray(4) });
  }
  return { text, sigs };
}

function tresorParseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 4) return { error: 'checkpoint text has fewer than three lines' };
  const [origin, sizeText, rootText] = lines;
  if (origin === '') return { error: 'checkpoint origin is empty' };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return { error: 'checkpoint size is not a decimal number' };
  const root = tresorBase64(rootText);
  if (!root || root.length !== 32) return { error: 'checkpoint root is not a base64 SHA-256 hash' };
  return { origin, size: Number(sizeText), root };
}

function tresorValidName(name) {
  return name.length > 0 && !/[\s+]/u.test(name);
}

// ---- bytes -----------------------------------------------------------------------------

const TRESOR_HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));
function tresorHex(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) s += TRESOR_HEX[b[i]];
  return s;
}
const TRESOR_ZERO_HASH = new Uint8Array(32);
// Compares a (validated, lowercase) hex string with bytes without building a string.
function tresorHexEquals(s, b) {
  if (s.length !== 2 * b.length) return false;
  for (let i = 0; i < b.length; i++) {
    const hi = s.charCodeAt(2 * i);
    const lo = s.charCodeAt(2 * i + 1);
    const v = ((hi < 97 ? hi - 48 : hi - 87) * 16) + (lo < 97 ? lo - 48 : lo - 87);
    if (v !== b[i]) return false;
  }
  return true;
}
function tresorFromHex(s) {
  if (typeof s !== 'string' || !/^[0-9a-f]{64}$/.test(s)) return null;
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}
function tresorEqual(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function tresorBase64(s) {
  if (!s || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const bin = atob(s);
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return b;
}
function tresorUtf8(bytes) {
  return new TextDecoder('utf-8').decode(bytes);
}
function tresorUtf8Bytes(s) {
  return new TextEncoder().encode(s);
}
