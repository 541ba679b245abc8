// pdf-lib is loaded when a PDF is made, not when this module is: every site open reaches
// it through the audit hand-outs, and loading it cost each CLI start ~150 ms (issue 15, item 1).
import type { PDFDocument, PDFFont, PDFPage } from 'pdf-lib';

/**
 * Plain printable documents (cover letters, erasure certificates, the Art. 30 record,
 * checkpoint hand-outs) as PDF, written in pure JS with pdf-lib: the box has no browser
 * to print HTML with (issue 11: "a pure-JS PDF library; no browser on the box").
 *
 * Only the 14 standard fonts are used (nothing to embed or ship); they cover WinAnsi,
 * which holds German (ä ö ü ß, „ “, –, €). A character outside it — a name in another
 * script — is printed as "?" rather than failing the whole document; the HTML twin of
 * each document carries the exact text.
 */

export type PdfBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  /** kept line by line in a fixed-width font: checkpoints, hashes, ids */
  | { kind: 'mono'; text: string }
  | { kind: 'table'; header: readonly string[]; rows: readonly (readonly string[])[] }
  /** a QR code (src/documents/qr.ts qrModules), drawn as vector squares: sharp at any printer resolution */
  | { kind: 'qr'; modules: readonly (readonly boolean[])[]; widthPt?: number }
  | { kind: 'space' };

export interface PdfSpec {
  title: string;
  /** BCP 47, e.g. "de" or "en": screen readers pick the voice by it */
  lang: string;
  subject?: string;
  /** fixed for reproducible output in tests; default now */
  createdAt?: Date;
  blocks: readonly PdfBlock[];
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const BODY = 10.5;
const HEAD = 14;
const MONO = 8.5;
const SMALL = 8;
const LEADING = 1.35;

interface Fonts { regular: PDFFont; bold: PDFFont; mono: PDFFont }

/** Replaces what the standard fonts cannot encode, so one odd character cannot fail a certificate. */
function printable(font: PDFFont, text: string): string {
  const known = new Set(font.getCharacterSet());
  let out = '';
  for (const ch of text.replace(/\t/g, '    ')) {
    const cp = ch.codePointAt(0)!;
    out += cp === 10 || known.has(cp) ? ch : '?';
  }
  return out;
}

/** Greedy line breaking at spaces; a word wider than the line is cut. */
export function wrap(font: PDFFont, size: number, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      const candidate = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(candidate, size) <= width) { line = candidate; continue; }
      if (line) lines.push(line);
      line = word;
      while (font.widthOfTextAtSize(line, size) > width && line.length > 1) {
        let cut = line.length - 1;
        while (cut > 1 && font.widthOfTextAtSize(line.slice(0, cut), size) > width) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
    lines.push(line);
  }
  return lines;
}

class Writer {
  page!: PDFPage;
  y = 0;
  readonly width = A4[0] - 2 * MARGIN;
  constructor(readonly doc: PDFDocument, readonly fonts: Fonts) { this.newPage(); }

  newPage(): void {
    this.page = this.doc.addPage(A4);
    this.y = A4[1] - MARGIN;
  }

  /** Moves down by one line of `size`, starting a page when the bottom margin is reached. */
  room(size: number): void {
    if (this.y - size * LEADING < MARGIN + SMALL * 2) this.newPage();
    this.y -= size * LEADING;
  }

  lines(font: PDFFont, size: number, lines: readonly string[], x = MARGIN): void {
    for (const line of lines) {
      this.room(size);
      this.page.drawText(line, { x, y: this.y, size, font });
    }
  }

  block(b: PdfBlock): void {
    const { regular, bold, mono } = this.fonts;
    switch (b.kind) {
      case 'heading':
        this.y -= HEAD * 0.5;
        this.lines(bold, HEAD, wrap(bold, HEAD, printable(bold, b.text), this.width));
        this.y -= HEAD * 0.2;
        return;
      case 'paragraph':
        this.lines(regular, BODY, wrap(regular, BODY, printable(regular, b.text), this.width));
        this.y -= BODY * 0.5;
        return;
      case 'mono':
        this.lines(mono, MONO, wrap(mono, MONO, printable(mono, b.text), this.width));
        this.y -= MONO * 0.5;
        return;
      case 'space':
        this.y -= BODY;
        return;
      case 'table':
        this.table(b.header, b.rows);
        return;
      case 'qr':
        this.qr(b.modules, b.widthPt ?? 220);
        return;
    }
  }

  qr(modules: readonly (readonly boolean[])[], widthPt: number): void {
    const n = modules.length;
    const cell = widthPt / (n + 8);
    const side = cell * (n + 8);
    if (this.y - side < MARGIN + SMALL * 2) this.newPage();
    const top = this.y - 4 * cell;
    modules.forEach((row, r) => row.forEach((dark, c) => {
      if (dark) this.page.drawRectangle({ x: MARGIN + (c + 4) * cell, y: top - (r + 1) * cell, width: cell, height: cell, borderWidth: 0 });
    }));
    this.y -= side;
  }

  /** Columns share the width in proportion to their longest cell (capped), cells wrap. */
  table(header: readonly string[], rows: readonly (readonly string[])[]): void {
    const { regular, bold } = this.fonts;
    const n = header.length;
    const longest = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length), 4)));
    const total = longest.reduce((a, b) => a + b, 0);
    const widths = longest.map((l) => (l / total) * this.width);
    const row = (cells: readonly string[], font: PDFFont) => {
      const wrapped = widths.map((w, i) => wrap(font, BODY, printable(font, cells[i] ?? ''), w - 6));
      const height = Math.max(...wrapped.map((l) => l.length));
      if (this.y - height * BODY * LEADING < MARGIN + SMALL * 2) this.newPage();
      const top = this.y;
      let x = MARGIN;
      for (let i = 0; i < n; i++) {
        let y = top;
        for (const line of wrapped[i]!) {
          y -= BODY * LEADING;
          this.page.drawText(line, { x, y, size: BODY, font });
        }
        x += widths[i]!;
      }
      this.y = top - height * BODY * LEADING - 3;
    };
    row(header, bold);
    for (const r of rows) row(r, regular);
    this.y -= BODY * 0.5;
  }
}

/** Renders the blocks on A4 pages with "title — page n of m" at the foot of each. */
export async function renderPdf(spec: PdfSpec): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const created = spec.createdAt ?? new Date();
  doc.setTitle(spec.title);
  doc.setLanguage(spec.lang);
  if (spec.subject) doc.setSubject(spec.subject);
  doc.setProducer('Tresor');
  doc.setCreator('Tresor');
  doc.setCreationDate(created);
  doc.setModificationDate(created);
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const w = new Writer(doc, fonts);
  w.block({ kind: 'heading', text: spec.title });
  for (const b of spec.blocks) w.block(b);
  const pages = doc.getPages();
  const of = spec.lang.startsWith('de') ? ['Seite', 'von'] : ['page', 'of'];
  pages.forEach((p, i) => {
    const text = printable(fonts.regular, `${spec.title} — ${of[0]} ${i + 1} ${of[1]} ${pages.length}`);
    p.drawText(text, { x: MARGIN, y: MARGIN / 2, size: SMALL, font: fonts.regular });
  });
  return doc.save({ useObjectStreams: false });
}
