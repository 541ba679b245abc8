import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { cli, testConfig } from './helpers/site.ts';

test('serve_on_a_taken_port_says_so_and_exits_instead_of_crashing', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const c = testConfig();
    c.port = port;
    const r = await cli(c, ['serve']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`E_CONFIG: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.doesNotMatch(r.stderr, /Unhandled|at Server\./, 'no stack trace');
  } finally {
    blocker.close();
  }
});
