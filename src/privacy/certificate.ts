import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { mkdirDurable, writeFileDurable } from '../core/durable.ts';
import { hashLeaf, toHex, type AuditLog } from '../audit/index.ts';
import { renderPdf } from '../documents/pdf.ts';
import type { ErasureException } from './erasure.ts';

/**
 * The erasure certificate (issue 11 #4): what an Art. 17 erasure did, provably — the
 * request id, the recording ids erased and kept (with the ground of each exception), the
 * times, the sequence numbers of the log entries it wrote, and a signed checkpoint that
 * covers them with each entry's inclusion proof, so anyone holding the log's public key
 * can check it offline. No personal data: ids, times, counts and hashes only (the
 * certificate goes to the subject, the supervisory authority and auditors).
 * Written durably (a certificate lost at a power cut is an erasure nobody can prove).
 */
export interface CertificateInput {
  request: string;
  approval: string;
  requestedBy: string;
  approvedBy: string;
  startedAt: number;
  finishedAt: number;
  /** log size before the executor wrote anything */
  firstSeq: number;
  erased: string[];
  quarantineDiscarded: string[];
  exceptions: ErasureException[];
}

export const certificatePath = (dataDir: string, request: string, ext: 'json' | 'pdf') => join(dataDir, 'reports', `erasure-${request}.${ext}`);

export async function writeErasureCertificate(deps: { log: AuditLog; dataDir: string }, c: CertificateInput): Promise<{ json: string; pdf: string }> {
  const { log } = deps;
  const end = log.size();
  const mine = log.entries(c.firstSeq, end).filter((e) => {
    const d = (e.detail ?? {}) as Record<string, unknown>;
    return d.approval === c.approval || e.target === `request:${c.request}`;
  });
  // the checkpoint must cover the last entry: sign one now if the latest does not
  const cp = await log.checkpointNow();
  if (cp.size < end) throw new TresorError('E_INTERNAL', `checkpoint of size ${cp.size} does not cover entry ${end - 1}`);
  const lines = new Map(mine.map((e) => [e.seq, log.lines(e.seq, e.seq + 1)[0]!]));
  const iso = (t: number) => new Date(t).toISOString();
  const cert = {
    type: 'tresor.erasure-certificate', v: 1,
    request: c.request, approval: c.approval, requestedBy: c.requestedBy, approvedBy: c.approvedBy,
    startedAt: iso(c.startedAt), finishedAt: iso(c.finishedAt),
    erased: c.erased, quarantineDiscarded: c.quarantineDiscarded,
    kept: c.exceptions.map((e) => ({ id: e.id, reason: e.reason, ground: e.ground, ...(e.hold ? { hold: e.hold } : {}), ...(e.policy ? { policy: e.policy } : {}) })),
    log: {
      origin: log.origin, vkey: log.vkey,
      entries: mine.map((e) => ({
        seq: e.seq, action: e.action, target: e.target, leafHash: toHex(hashLeaf(new TextEncoder().encode(lines.get(e.seq)!))),
        inclusionProof: log.inclusionProof(e.seq, cp.size).map(toHex),
      })),
      checkpoint: { size: cp.size, root: Buffer.from(cp.root).toString('base64'), note: cp.note },
    },
  };
  await mkdirDurable(join(deps.dataDir, 'reports'));
  const json = certificatePath(deps.dataDir, c.request, 'json');
  await writeFileDurable(json, JSON.stringify(cert, null, 2) + '\n');
  const pdf = certificatePath(deps.dataDir, c.request, 'pdf');
  await writeFileDurable(pdf, await renderPdf({
    title: `Erasure certificate ${c.request}`, lang: 'en', subject: 'Art. 17 GDPR erasure certificate', createdAt: new Date(c.finishedAt),
    blocks: [
      { kind: 'heading', text: `Erasure certificate for request ${c.request}` },
      { kind: 'paragraph', text: `Erasure under Art. 17 GDPR, four-eyes approval ${c.approval}: requested by ${c.requestedBy}, approved by ${c.approvedBy}; carried out ${cert.startedAt} to ${cert.finishedAt}.` },
      { kind: 'paragraph', text: `Recordings erased (crypto-shredded): ${c.erased.length}. Quarantined files discarded: ${c.quarantineDiscarded.length}. Kept as exceptions: ${c.exceptions.length}.` },
      ...(c.erased.length ? [{ kind: 'table' as const, header: ['Erased recording'], rows: c.erased.map((id) => [id]) }] : []),
      ...(c.quarantineDiscarded.length ? [{ kind: 'table' as const, header: ['Discarded quarantined file'], rows: c.quarantineDiscarded.map((id) => [id]) }] : []),
      ...(c.exceptions.length ? [{ kind: 'table' as const, header: ['Kept recording', 'Ground'], rows: c.exceptions.map((e) => [e.id, e.ground]) }] : []),
      { kind: 'heading', text: 'Log entries' },
      { kind: 'table', header: ['Seq', 'Action', 'Target'], rows: mine.map((e) => [String(e.seq), e.action, e.target]) },
      { kind: 'heading', text: 'Signed checkpoint covering them' },
      { kind: 'mono', text: cp.note },
      { kind: 'paragraph', text: `Verify with the log's public key: ${log.vkey}` },
    ],
  }));
  return { json, pdf };
}

/** A certificate as written, JSON text (or the PDF bytes). */
export async function readErasureCertificate(dataDir: string, request: string, ext: 'json' | 'pdf'): Promise<Buffer> {
  if (!isId(request)) throw new TresorError('E_NOT_FOUND', `no request ${request}`);
  try {
    return await readFile(certificatePath(dataDir, request, ext));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TresorError('E_NOT_FOUND', `no erasure certificate for request ${request} (not erased yet?)`);
    throw e;
  }
}
