import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAuditLog, createCosigner, daysSinceHandOut, splitNote } from '../src/audit/index.ts';
import { auditCommand } from '../src/cli/audit.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';

// Issue 13 item 4: the latest checkpoint with its cosignatures handed out as text, QR code
// (SVG) and a one-page PDF. The QR code is read back with zbarimg (zbar-tools), the PDF
// with pdftotext/pdftoppm (poppler-utils), the SVG rasterised with ffmpeg — as a phone
// or the auditor's own tools would read them.
const have = (cmd: string, arg: string) => spawnSync(cmd, [arg]).error === undefined;
const missing = [['zbarimg', '--version', 'zbar-tools'], ['pdftotext', '-v', 'poppler-utils'], ['ffmpeg', '-version', 'ffmpeg']]
  .filter(([c, a]) => !have(c!, a!)).map(([c, , p]) => `${c} missing (apt-get install ${p})`);
const skip = missing.length ? missing.join('; ') : false;

const dirs: string[] = [];
const stores: IndexStore[] = [];
after(() => { for (const s of stores) s.close(); for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const temp = () => { const d = mkdtempSync(join(tmpdir(), 'tresor-handout-')); dirs.push(d); return d; };

async function witnessedLog() {
  const store = openIndex(join(temp(), 'index'));
  stores.push(store);
  const signer = createNoteSigner('test.tresor/handout', new Uint8Array(32).fill(5));
  const log = createAuditLog(store, { signer, origin: signer.name });
  for (let i = 0; i < 5; i++) await log.append([{ actor: 'system:test', action: 'recording.ingested', target: `rec-${i}`, detail: {} }]);
  const cp = await log.checkpointNow();
  const w = createCosigner('works-council.lan/witness', new Uint8Array(32).fill(8));
  await log.addCosignatures(cp.size, [w.cosign(splitNote(cp.note)!.body, 1_790_000_000)]);
  return { store, log };
}

function qrText(png: string): string {
  const r = spawnSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '');
}

test('audit_checkpoint_hands_out_the_cosigned_checkpoint_as_pdf_and_svg_whose_qr_codes_hold_the_exact_note', { skip }, async () => {
  const { store, log } = await witnessedLog();
  const dir = temp();
  const out: string[] = [];
  const err: string[] = [];
  assert.equal(daysSinceHandOut(store), null);
  const code = await auditCommand(['checkpoint', '--pdf', join(dir, 'cp.pdf'), '--svg', join(dir, 'cp.svg'), '--lang', 'de'],
    { log, store, actor: 'cli:dpo', out: (s) => out.push(s), err: (s) => err.push(s) });
  assert.equal(code, 0, err.join('\n'));
  const note = store.checkpoints.latest()!.note;
  assert.match(note, /— works-council\.lan\/witness /, 'the stored note carries the cosignature');
  assert.equal(out.join('\n'), note.replace(/\n$/, ''), 'the text printed is the cosigned note');

  // the PDF: German text, the signers, and a QR code that decodes to the note
  const text = spawnSync('pdftotext', ['-layout', join(dir, 'cp.pdf'), '-'], { encoding: 'utf8' }).stdout;
  assert.match(text, /Prüfpunkt des Tresor-Protokolls/);
  assert.match(text, /works-council\.lan\/witness\s+Zeuge/);
  assert.match(text, /Umfasste Einträge/);
  assert.equal(spawnSync('pdftoppm', ['-r', '150', '-png', '-singlefile', join(dir, 'cp.pdf'), join(dir, 'page')]).status, 0);
  assert.equal(qrText(join(dir, 'page.png')), note, 'the PDF QR code holds the note byte for byte');

  // the SVG: rasterised, its QR code decodes to the same note
  assert.equal(spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'cp.svg'), join(dir, 'svg.png')]).status, 0);
  assert.equal(qrText(join(dir, 'svg.png')), note, 'the SVG QR code holds the note byte for byte');
  assert.doesNotMatch(readFileSync(join(dir, 'cp.svg'), 'utf8'), /<script/);

  // logged (size and format, no more) and remembered for the dashboard's reminder
  const last = log.entries(log.size() - 1, log.size())[0]!;
  assert.equal(last.action, 'checkpoint.handed-out');
  assert.equal(last.actor, 'cli:dpo');
  assert.deepEqual(last.detail, { format: 'pdf', cosignatures: 1 });
  assert.equal(daysSinceHandOut(store), 0);
  assert.equal(daysSinceHandOut(store, Date.now() + 31 * 86_400_000), 31);
});

test('audit_checkpoint_refuses_an_unknown_option_with_its_usage', async () => {
  const { store, log } = await witnessedLog();
  const err: string[] = [];
  const code = await auditCommand(['checkpoint', '--png', 'x'], { log, store, actor: 'cli:dpo', out: () => {}, err: (s) => err.push(s) });
  assert.equal(code, 2);
  assert.match(err.join('\n'), /unknown option --png x[\s\S]*audit checkpoint \[--pdf FILE\]/);
  assert.equal(store.meta.handedOut(), undefined, 'nothing was handed out');
});

test('the_console_reminds_to_hand_out_a_checkpoint_until_an_auditor_downloads_one', { skip }, async () => {
  const { browser, makeUser, webSite } = await import('./helpers/web.ts');
  const w = await webSite();
  try {
    await makeUser(w, 'aud', ['auditor']);
    await makeUser(w, 'sue', ['supervisor']);
    const aud = browser(w);
    assert.equal((await aud.login('aud')).status, 303);
    const before = await (await aud.get('/')).text();
    assert.match(before, /data-k="hand-out">Never handed out/);

    const sue = browser(w);
    await sue.login('sue');
    assert.equal((await sue.get('/log/checkpoint.pdf')).status, 403, 'only log.read roles hand out checkpoints');

    const res = await aud.get('/log/checkpoint.pdf');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="tresor-checkpoint-\d+\.pdf"/);
    const dir = temp();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'cp.pdf'), Buffer.from(await res.arrayBuffer()));
    assert.equal(spawnSync('pdftoppm', ['-r', '150', '-png', '-singlefile', join(dir, 'cp.pdf'), join(dir, 'page')]).status, 0);
    const size = w.site.store.checkpoints.latest()!.size;
    assert.equal(qrText(join(dir, 'page.png')), w.site.store.checkpoints.latest()!.note);

    const handed = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'checkpoint.handed-out');
    assert.deepEqual(handed.map((e) => [e.actor, e.target]), [['user:aud', `checkpoint:${size}`]]);
    assert.doesNotMatch(await (await aud.get('/')).text(), /data-k="hand-out"/, 'the reminder is gone once one was handed out');
  } finally {
    await w.close();
  }
});
