import { html } from 'hono/html';
import type { Lang } from './i18n.ts';
import { actionLabel } from './labels/actions.ts';
import type { Html } from './layout.ts';

/**
 * A log entry's action as a person reads it, with the code next to it: the words for the
 * reader, the code for the auditor who filters by it or finds it in an export.
 */
export function actionCell(lang: Lang, action: string): Html {
  const words = actionLabel(lang, action);
  return words === action ? html`<code>${action}</code>` : html`${words} <code class="muted">${action}</code>`;
}
