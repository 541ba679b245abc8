import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

// Placeholder: filled in by the log-viewer work.
export function logViewerRoutes(_deps: AppDeps) {
  return new Hono<WebEnv>();
}
