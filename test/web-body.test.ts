import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { webSite, type WebSite } from './helpers/web.ts';

// Issue 16 item 20, over real HTTP on loopback: a multipart body that never ends its last
// part got a 500 (and a stack trace in the journal); a body the client aborts half-way
// made the error handler itself throw. Both are the client's fault: a clear 400, no stack.

describe('broken and aborted request bodies', () => {
  let w: WebSite;
  let server: ServerType;
  let port = 0;
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);

  before(async () => {
    w = await webSite();
    server = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as { port: number }).port;
    process.stderr.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(s));
      return (write as (...a: unknown[]) => boolean)(s, ...rest);
    }) as typeof process.stderr.write;
  });
  after(async () => {
    process.stderr.write = write;
    await new Promise((r) => server.close(r));
    await w?.close();
  });

  /** Sends raw bytes; `abort` closes the socket after them without finishing the body. */
  function send(request: string, abort = false): Promise<string> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(request);
        if (abort) setTimeout(() => s.destroy(), 100);
      });
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
      s.on('error', () => resolve(out));
    });
  }
  const head = (path: string, type: string, extra: string) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nContent-Type: ${type}\r\nConnection: close\r\n${extra}\r\n`;
  const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;

  it('answers an unterminated multipart body with 400 and a plain reason, without a stack trace', async () => {
    const body = '--XX\r\nContent-Disposition: form-data; name="name"\r\n\r\nroot';
    stderr.length = 0;
    for (const path of ['/login', '/admin/users']) {
      const res = await send(head(path, 'multipart/form-data; boundary=XX', `Content-Length: ${body.length}\r\n`) + body);
      assert.match(res, /^HTTP\/1\.1 400 /, `${path}: ${res.slice(0, 200)}`);
      assert.match(res, /could not be read/);
      assert.doesNotMatch(res, /\n\s+at /);
    }
    assert.deepEqual(stderr.filter((s) => /\n\s+at |TypeError/.test(s)), [], 'no stack trace in the journal');
  });

  it('survives a body the client aborts half-way (chunked and with a length), and keeps serving', async () => {
    stderr.length = 0;
    for (const path of ['/login', '/healthz', '/nowhere']) {
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=XX']) {
        await send(head(path, type, 'Transfer-Encoding: chunked\r\n') + '5\r\nname=\r\n', true);
        await send(head(path, type, 'Content-Length: 100\r\n') + 'name=', true);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(stderr.filter((s) => /\n\s+at |TypeError|aborted/.test(s)), [], 'the error handler did not throw, nothing to report');
    assert.ok(await healthy());
  });
});
