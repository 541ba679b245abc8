import { createServer, type Server } from 'node:http';
import type { Witness } from './witness.ts';

/** Largest request accepted: 63 proof lines and a checkpoint with its signatures fit many times. */
const MAX_BODY = 64 * 1024;

/** HTTP for the witness: `POST /add-checkpoint` (C2SP tlog-witness), nothing else. */
export function createWitnessServer(witness: Witness): Server {
  return createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/add-checkpoint') return send(404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(405, 'text/plain; charset=utf-8', 'POST only\n');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(413, 'text/plain; charset=utf-8', 'request too large\n');
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      let body: string;
      try {
        body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
      } catch {
        return send(400, 'text/plain; charset=utf-8', 'request is not UTF-8\n');
      }
      witness.addCheckpoint(body).then(
        (r) => send(r.status, r.contentType, r.body),
        (e: unknown) => send(500, 'text/plain; charset=utf-8', `witness error: ${(e as Error).message}\n`),
      );
    });
  });
}
