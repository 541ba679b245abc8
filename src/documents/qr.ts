import qrcode from 'qrcode-generator';

/**
 * QR codes for things people carry away on paper (a checkpoint handed to the works
 * council): a phone or `zbarimg` reads the exact bytes back, so the note can be compared
 * or fed to the verifier without typing 300 characters of base64.
 *
 * The text is put in as UTF-8 bytes (a checkpoint's signature lines start with "—",
 * U+2014). Error correction M: survives a fold or a coffee stain, and a note with three
 * cosignatures (~600 bytes) still fits a version the printer renders crisply.
 */
export function qrModules(text: string): boolean[][] {
  const qr = qrcode(0, 'M');
  // the library's byte mode takes one char per byte (charCode & 0xff): hand it UTF-8
  qr.addData(Buffer.from(text, 'utf8').toString('latin1'), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/**
 * An SVG of the code: one path, a quiet zone of 4 modules (ISO/IEC 18004), no script.
 * `title`: the accessible name (SVG's <title>, read by screen readers) when the SVG sits
 * inline in a page rather than in a file of its own.
 */
export function qrSvg(text: string, moduleSize = 4, title?: string): string {
  const m = qrModules(text);
  const quiet = 4;
  const size = (m.length + 2 * quiet) * moduleSize;
  let d = '';
  m.forEach((row, r) => row.forEach((dark, c) => {
    if (dark) d += `M${(c + quiet) * moduleSize} ${(r + quiet) * moduleSize}h${moduleSize}v${moduleSize}h-${moduleSize}z`;
  }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img">${title ? `<title>${escapeXml(title)}</title>` : ''}<rect width="100%" height="100%" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
