import { renderPdf, qrModules, qrSvg, type PdfBlock } from '../documents/index.ts';
import { TresorError } from '../core/index.ts';
import type { IndexStore } from '../store/index.ts';
import type { AuditLog } from './log.ts';
import { splitNote } from './cosignature.ts';

/**
 * Checkpoints handed out (issue 13, item 4). A checkpoint proves nothing against whoever
 * holds the box's key unless someone outside the box keeps a copy: with it, a later
 * export that rewrote history fails the consistency check (RFC 9162 §2.1.4). So the DPO,
 * the auditor or the works council is given the latest checkpoint with its witness
 * cosignatures — as text, as a QR code (SVG) and as a one-page PDF to file away.
 *
 * Handing one out is logged (`checkpoint.handed-out`, size and format only) and remembered
 * (`meta.handedOut`) so the dashboard can say when it was last done (`log.handOutDays`).
 */

export const HANDED_OUT = 'checkpoint.handed-out';
export type HandOutFormat = 'text' | 'svg' | 'pdf';

export interface HandOut {
  size: number;
  note: string;
  /** who signed: the box first, then each witness (names from the note's signature lines) */
  signers: string[];
}

/** The signer names of a note ("— name base64" lines, C2SP signed-note). */
export function signersOf(note: string): string[] {
  const split = splitNote(note);
  if (!split) throw new TresorError('E_LOG_INCONSISTENT', 'the latest checkpoint is not a signed note');
  return split.sigLines.map((l) => l.slice(2, l.lastIndexOf(' ')));
}

/**
 * Signs the current size if the log grew (so what is handed out covers every entry), then
 * logs the hand-out and remembers it, before any copy leaves the box.
 */
export async function handOutCheckpoint(deps: { log: AuditLog; store: IndexStore }, actor: string, format: HandOutFormat, now = Date.now()): Promise<HandOut> {
  const cp = await deps.log.checkpointNow();
  // the stored note carries the cosignatures gathered since it was signed
  const note = deps.store.checkpoints.get(cp.size) ?? cp.note;
  const signers = signersOf(note);
  await deps.store.tx(() => {
    deps.log.appendSync([{ actor, action: HANDED_OUT, target: `checkpoint:${cp.size}`, detail: { format, cosignatures: signers.length - 1 } }]);
    deps.store.meta.putHandedOut({ size: cp.size, at: now });
  });
  return { size: cp.size, note, signers };
}

/** Days since a checkpoint was last handed out (null: never), for the dashboard's warning. */
export function daysSinceHandOut(store: IndexStore, now = Date.now()): number | null {
  const row = store.meta.handedOut();
  return row ? Math.floor((now - row.at) / 86_400_000) : null;
}

const TEXT = {
  en: {
    title: 'Checkpoint of the Tresor recording log',
    intro: 'This is a signed snapshot of the tamper-evident log of the call-recording archive. Keep it. Anyone holding it can later ask the archive to prove that the log only grew since this point (a consistency proof): a log rewritten after today cannot pass that check against this copy.',
    size: 'Entries covered', signers: 'Signed by', handed: 'Handed out', note: 'The checkpoint (exact text; the QR code holds the same bytes)',
    box: 'the archive', witness: 'witness',
  },
  de: {
    title: 'Prüfpunkt des Tresor-Protokolls',
    intro: 'Dies ist ein signierter Stand des manipulationssicheren Protokolls des Aufzeichnungsarchivs. Bitte aufbewahren. Wer ihn hat, kann später vom Archiv den Nachweis verlangen, dass das Protokoll seitdem nur gewachsen ist (Konsistenznachweis): ein nachträglich umgeschriebenes Protokoll besteht diese Prüfung gegen diese Kopie nicht.',
    size: 'Umfasste Einträge', signers: 'Signiert von', handed: 'Ausgehändigt', note: 'Der Prüfpunkt (genauer Text; der QR-Code enthält dieselben Bytes)',
    box: 'das Archiv', witness: 'Zeuge',
  },
} as const;

export async function handOutPdf(h: HandOut, lang: 'de' | 'en', now = new Date()): Promise<Uint8Array> {
  const t = TEXT[lang];
  const blocks: PdfBlock[] = [
    { kind: 'paragraph', text: t.intro },
    { kind: 'table', header: [t.size, t.handed], rows: [[String(h.size), now.toISOString().replace(/\.\d+Z$/, 'Z')]] },
    { kind: 'table', header: [t.signers, ''], rows: h.signers.map((s, i) => [s, i === 0 ? t.box : t.witness]) },
    { kind: 'paragraph', text: t.note },
    { kind: 'mono', text: h.note.replace(/\n$/, '') },
    { kind: 'qr', modules: qrModules(h.note), widthPt: 200 },
  ];
  return renderPdf({ title: t.title, lang, createdAt: now, blocks });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The QR code with the note's lines under it, as one self-contained SVG (no script, no fonts to fetch). */
export function handOutSvg(h: HandOut): string {
  const qr = qrSvg(h.note, 3);
  const side = Number(/width="(\d+)"/.exec(qr)![1]);
  const lines = h.note.replace(/\n$/, '').split('\n');
  const lineHeight = 12;
  const width = Math.max(side, 7 * Math.max(...lines.map((l) => l.length)));
  const height = side + lineHeight * (lines.length + 1);
  const text = lines.map((l, i) => `<text x="4" y="${side + lineHeight * (i + 1)}">${esc(l)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${qr.replace('<svg ', '<svg x="0" y="0" ')}<g font-family="monospace" font-size="10" fill="#000">${text}</g></svg>`;
}
