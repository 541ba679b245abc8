import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

// Placeholder: filled in by the admin work.
export function adminRoutes(_deps: AppDeps) {
  return new Hono<WebEnv>();
}
