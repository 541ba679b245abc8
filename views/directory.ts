import { html } from 'hono/html';
import { directoryLabel, type DirectoryLabel } from './labels/directory.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** The extension directory (/admin/extensions): extension → agent name (issue 15, item 4). */
export interface ExtensionView {
  extension: string;
  name: string;
  source: 'console' | 'config';
  updatedAt: number | null;
  updatedBy: string | null;
}

export const DIRECTORY_DONE = ['saved', 'removed'] as const;
export type DirectoryDone = (typeof DIRECTORY_DONE)[number];

export function directoryPage(ctx: PageCtx, o: { entries: ExtensionView[]; done?: DirectoryDone; error?: string; draft?: { extension: string; name: string } }): Html {
  const L = (k: DirectoryLabel) => directoryLabel(ctx.lang, k);
  const d = o.draft ?? { extension: '', name: '' };
  return layout(ctx, L('title'), html`
<p>${L('intro')}</p>
${o.done ? html`<p class="ok" role="status">${L(`done.${o.done}`)}</p>` : ''}
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
${o.entries.length === 0 ? html`<p>${L('none')}</p>` : html`
<div class="table-wrap"><table id="extensions">
<thead><tr><th scope="col">${L('colExtension')}</th><th scope="col">${L('colName')}</th><th scope="col">${L('colSource')}</th><th scope="col">${L('colChanged')}</th><th scope="col"></th></tr></thead>
<tbody>
${o.entries.map((e) => html`<tr>
<td class="num">${e.extension}</td><td>${e.name}</td>
<td>${e.source === 'console' ? L('sourceConsole') : L('sourceConfig')}</td>
<td>${e.updatedAt ? html`${fmtTime(new Date(e.updatedAt).toISOString(), ctx.lang)} (${e.updatedBy ?? ''})` : '–'}</td>
<td>${e.source === 'console'
    ? html`<form method="post" action="/admin/extensions/${e.extension}/remove" class="inline">${csrfField(ctx.csrf)}<button type="submit">${L('remove')}</button></form>`
    : html`<span class="muted">${L('configNote')}</span>`}</td>
</tr>`)}
</tbody></table></div>`}
<h2>${L('addTitle')}</h2>
<form method="post" action="/admin/extensions" class="stack">${csrfField(ctx.csrf)}
  <div><label for="x-ext">${L('extension')}</label><input id="x-ext" name="extension" inputmode="numeric" pattern="[0-9]{1,6}" required value="${d.extension}"></div>
  <div><label for="x-name">${L('name')}</label><input id="x-name" name="name" required maxlength="200" autocomplete="off" value="${d.name}"></div>
  <div><button type="submit" class="primary">${L('save')}</button></div>
</form>`);
}
