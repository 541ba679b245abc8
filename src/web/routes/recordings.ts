import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

export function recordingRoutes(_deps: AppDeps) {
  return new Hono<WebEnv>();
}
