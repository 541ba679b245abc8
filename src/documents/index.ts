// Plain document writers (PDF; ZIP, QR and SVG charts follow) shared by the layers that
// hand documents to people: privacy (packages, certificates), audit (checkpoint hand-outs),
// alerts (breach notifications). They know nothing of recordings: text in, bytes out.
export { renderPdf, type PdfBlock, type PdfSpec } from './pdf.ts';
export { generateZipPassword, writeZip, type ZipEntry, type ZipOptions } from './zip.ts';
export { qrModules, qrSvg } from './qr.ts';
