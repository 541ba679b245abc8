process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { makeAudio } from './helpers/audio.ts';
import { ingestSite, sidecarOf, source } from './helpers/ingest.ts';
import { parseSidecar, SIDECAR_WORDS } from '../src/ingest/sidecar.ts';
import { quarantineDir } from '../src/ingest/quarantine.ts';

// Issue 15 item 3: an admin whose PBX or CRM writes a sidecar Tresor refuses must learn from
// the README and from the quarantine reason what to write instead: the reason names the
// field, the value (unless it could be personal data) and the accepted values; the README's
// example file is the one in test/fixtures and is accepted as it stands.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = join(ROOT, 'test/fixtures/sidecar-example.json');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Sidecar `NAME.json`'), readme.indexOf('## Console and API'));
const norm = (w: string) => w.toLowerCase().replace(/[\s_-]+/g, '');
// FreePBX: external (outgoing) call to 4930123456 from extension 201, 27 Nov 2026 10:15:01
const NAME = 'external-4930123456-201-20261127-101501-1732700100.1.wav';

test('the README sidecar section has the example file and every accepted word', () => {
  assert.ok(section.length > 100, 'README has a "### Sidecar `NAME.json`" section');
  const block = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the section has a JSON example');
  assert.deepEqual(JSON.parse(block[1]!), JSON.parse(readFileSync(EXAMPLE, 'utf8')), 'README example = test/fixtures/sidecar-example.json');
  const listed = new Set([...section.matchAll(/`([^`]+)`/g)].map((m) => norm(m[1]!)));
  for (const [field, groups] of Object.entries(SIDECAR_WORDS)) {
    for (const w of Object.values(groups).flat()) assert.ok(listed.has(w), `README lists ${field} word "${w}"`);
  }
  for (const f of ['callId', 'start', 'direction', 'from', 'to', 'agent', 'queue', 'purpose', 'customerId', 'consent', 'tags']) {
    assert.ok(listed.has(norm(f)), `README lists field ${f}`);
  }
});

test('the example sidecar is accepted and overrides the file name', async () => {
  const parsed = parseSidecar(readFileSync(EXAMPLE));
  assert.deepEqual(parsed.errors, []);
  const s = await ingestSite();
  try {
    const audio = await makeAudio(s.work(), NAME, { format: 'wav-pcm8k', seconds: 2 });
    copyFileSync(EXAMPLE, sidecarOf(audio));
    const o = await s.ingest.ingestFile(source(audio, sidecarOf(audio)));
    assert.equal(o.status, 'archived', JSON.stringify(o));
    const row = s.site.store.recordings.get((o as { id: string }).id)!;
    assert.equal(row.direction, 'in', 'the sidecar direction "inbound" won over the name (external = out)');
    assert.equal(row.start, Date.parse('2026-11-30T14:30:00Z'));
  } finally {
    await s.close();
  }
});

test('a bad sidecar value quarantines with a reason naming the field, the value and the accepted values', async () => {
  const s = await ingestSite();
  try {
    const audio = await makeAudio(s.work(), NAME, { format: 'wav-pcm8k', seconds: 2 });
    writeFileSync(sidecarOf(audio), JSON.stringify({
      direction: 'both', start: '2026-11-30 15:30:00', consent: { state: 'vielleicht' }, from: 4915112345678, agent: 'Anna\u001b[2J',
    }));
    const o = await s.ingest.ingestFile(source(audio, sidecarOf(audio)));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    const id = (o as { quarantineId: string }).quarantineId;
    const row = s.site.store.quarantine.get(id) as { code: string; message: string };
    assert.equal(row.code, 'E_SIDECAR_INVALID');
    const reason = JSON.parse(readFileSync(join(quarantineDir(s.config.dataDir), id, 'reason.json'), 'utf8')) as { message: string };
    for (const m of [row.message, reason.message]) {
      assert.match(m, /direction: "both" is not a direction; accepted: in \(inbound, incoming[^)]*\), out \(outbound[^)]*\), internal \([^)]*\), unknown/);
      assert.match(m, /consent\.state: "vielleicht" is not a consent state; accepted: granted \(yes, [^)]*\), denied \(no, [^)]*\), unknown/);
      assert.match(m, /start: "2026-11-30 15:30:00" has no zone offset[^;]*; accepted: an RFC 3339 time with a zone offset, e\.g\. 2026-11-30T15:30:00\+01:00/);
      assert.match(m, /from: got a number \(not shown: it may be personal data\); accepted: text of at most 256 characters/);
      assert.match(m, /agent: the value contains control characters[^;]*; accepted: text/);
      assert.ok(!m.includes('4915112345678') && !m.includes('Anna'), 'personal values are not echoed');
    }
  } finally {
    await s.close();
  }
});
