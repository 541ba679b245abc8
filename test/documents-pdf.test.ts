import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderPdf } from '../src/documents/index.ts';

// pdftotext (Debian poppler-utils, installed by .ci/run) reads the PDF as a person's viewer would.
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined;
const noPdftotext = hasPdftotext ? false : 'pdftotext missing (apt-get install poppler-utils)';

function textOf(pdf: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-pdf-'));
  writeFileSync(join(dir, 'a.pdf'), pdf);
  const r = spawnSync('pdftotext', ['-layout', join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('a_pdf_document_reads_back_with_german_text_headings_and_a_table', { skip: noPdftotext }, async () => {
  const pdf = await renderPdf({
    title: 'Löschbestätigung',
    lang: 'de',
    blocks: [
      { kind: 'paragraph', text: 'Die Aufnahmen wurden gemäß Art. 17 DSGVO gelöscht – „endgültig“. Straße, Größe: 5 €.' },
      { kind: 'table', header: ['Aufnahme', 'Ergebnis'], rows: [['01J9ZK', 'gelöscht'], ['01J9ZM', 'behalten (Sperre)']] },
      { kind: 'mono', text: 'tresor.example/log\n42\nq8kY0dJt' },
    ],
  });
  assert.equal(Buffer.from(pdf.subarray(0, 5)).toString(), '%PDF-');
  const text = textOf(pdf);
  assert.match(text, /Löschbestätigung/);
  assert.match(text, /gemäß Art\. 17 DSGVO gelöscht – „endgültig“\. Straße, Größe: 5 €/);
  assert.match(text, /01J9ZM\s+behalten \(Sperre\)/);
  assert.match(text, /Seite 1 von 1/);
});

test('a_long_document_flows_onto_more_pages_and_numbers_them', { skip: noPdftotext }, async () => {
  const rows = Array.from({ length: 120 }, (_, i) => [`call-${i}`, 'erased']);
  const pdf = await renderPdf({ title: 'Certificate', lang: 'en', blocks: [{ kind: 'table', header: ['id', 'state'], rows }] });
  const text = textOf(pdf);
  const pages = text.split('\f').filter((p) => p.trim());
  assert.ok(pages.length >= 3, `expected several pages, got ${pages.length}`);
  assert.match(text, new RegExp(`page ${pages.length} of ${pages.length}`));
  assert.match(text, /call-119/);
});

test('characters_outside_the_standard_fonts_print_as_question_marks_instead_of_failing', { skip: noPdftotext }, async () => {
  const pdf = await renderPdf({ title: 'Note', lang: 'en', blocks: [{ kind: 'paragraph', text: 'Name: Ωμέγα 李 done' }] });
  assert.match(textOf(pdf), /Name: \?+ \? done/);
});
