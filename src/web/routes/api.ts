import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

export function apiRoutes(_deps: AppDeps) {
  return new Hono<WebEnv>();
}
