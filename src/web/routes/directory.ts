import { Hono } from 'hono';
import { listDirectory, removeExtension, setExtension, type DirectoryDeps } from '../../ingest/directory.ts';
import { DIRECTORY_DONE, directoryPage, type DirectoryDone } from '../../../views/directory.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';

/**
 * Admin → Extensions (issue 15, item 4): the extension directory that names the agent of a
 * FreePBX call at ingest. Mounted under /admin (users.manage, a console session). The names
 * are sealed by the keyring (deps.secrets); the log names the extension only.
 */
export function directoryRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const d: DirectoryDeps = { store: deps.site.store, secrets: deps.secrets, configured: deps.config.directory.extensions };
  const log = deps.site.log;

  const render = (c: Ctx, status: 200 | 400 | 403 | 404 | 409, extra: { error?: string; draft?: { extension: string; name: string } } = {}) => {
    const done = c.req.query('done');
    return c.html(directoryPage(pageCtx(c), {
      entries: listDirectory(d), ...extra,
      ...(status === 200 && (DIRECTORY_DONE as readonly string[]).includes(done ?? '') ? { done: done as DirectoryDone } : {}),
    }), status);
  };

  app.get('/', (c) => render(c, 200));

  app.post('/', async (c) => {
    const f = await form(c);
    const draft = { extension: f.extension ?? '', name: f.name ?? '' };
    try {
      await setExtension(d, log, c.get('principal')!.actor, draft.extension, draft.name);
    } catch (e) {
      const r = refusal(e);
      if (r && (r.status === 400 || r.status === 404)) return render(c, r.status, { error: r.message, draft });
      throw e;
    }
    return c.redirect('/admin/extensions?done=saved', 303);
  });

  app.post('/:ext/remove', async (c) => {
    try {
      await removeExtension(d, log, c.get('principal')!.actor, c.req.param('ext'));
    } catch (e) {
      const r = refusal(e);
      if (r && (r.status === 400 || r.status === 404)) return render(c, r.status, { error: r.message });
      throw e;
    }
    return c.redirect('/admin/extensions?done=removed', 303);
  });
  return app;
}
