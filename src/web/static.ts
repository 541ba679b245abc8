import { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * The few static files, read once at start: htmx from node_modules (never a CDN:
 * DESIGN §6, and the box may have no internet), our stylesheet. Immutable for the
 * life of the process; a new version is a new process.
 */
const require = createRequire(import.meta.url);
const VIEWS = join(import.meta.dirname, '../../views/static');

export function staticFiles(): Hono {
  const htmx = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'));
  const css = readFileSync(join(VIEWS, 'app.css'));
  const app = new Hono();
  const cache = { 'Cache-Control': 'public, max-age=3600' };
  app.get('/htmx.js', (c) => c.body(htmx, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...cache }));
  app.get('/app.css', (c) => c.body(css, 200, { 'Content-Type': 'text/css; charset=utf-8', ...cache }));
  return app;
}

/** Browsers ask for it on every site; an empty answer keeps 404s out of their consoles. */
export function favicon(): Hono {
  return new Hono().get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));
}
