import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

// Placeholder: filled in by the account work.
export function accountRoutes(_deps: AppDeps) {
  return new Hono<WebEnv>();
}
