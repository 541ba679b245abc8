import cron from 'node-cron';
import type { Config } from '../config/index.ts';
import { clockHold, clockProblem, holdPurge, type ClockHold } from './clock-guard.ts';
import { planPurge, runPurge, type PurgeDeps, type PurgePlan, type PurgeResult } from './purge.ts';

export type GuardedPurge =
  | { kind: 'held'; hold: ClockHold }
  | { kind: 'dry-run'; plan: PurgePlan }
  | { kind: 'done'; result: PurgeResult };

/** Every purge goes through here: the clock guard first, then a dry run or the real thing. */
export async function purgeWithGuards(
  deps: PurgeDeps, o: { by: string; now: number; maxJumpMs: number; dryRun?: boolean; onProgress?: (d: number, t: number) => void },
): Promise<GuardedPurge> {
  const existing = clockHold(deps.store);
  if (existing) return { kind: 'held', hold: existing };
  const problem = clockProblem(deps.store, o.now, o.maxJumpMs);
  if (problem) {
    if (o.dryRun) return { kind: 'held', hold: { since: o.now, reason: problem } };
    return { kind: 'held', hold: await holdPurge(deps.store, deps.log, problem, o.now) };
  }
  if (o.dryRun) return { kind: 'dry-run', plan: planPurge(deps.store, o.now) };
  return { kind: 'done', result: await runPurge(deps, { by: o.by, now: o.now, onProgress: o.onProgress }) };
}

/**
 * The scheduled purge (node-cron): never two at once — cron's noOverlap covers the
 * schedule, the shared promise covers "run now" racing the schedule.
 */
export function createPurgeScheduler(deps: PurgeDeps, config: Config['retention'], say: (m: string) => void) {
  let running: Promise<GuardedPurge> | null = null;
  const run = (by: string, dryRun = false): Promise<GuardedPurge> => {
    if (running && !dryRun) return running;
    const p = purgeWithGuards(deps, { by, now: Date.now(), maxJumpMs: config.maxClockJumpHours * 3600_000, dryRun });
    if (dryRun) return p;
    running = p.finally(() => (running = null));
    return running;
  };
  const task = cron.schedule(config.schedule, async () => {
    try {
      const r = await run('system:retention');
      if (r.kind === 'held') say(`tresor: purge HELD for an admin: ${r.hold.reason} (confirm with: tresor purge --confirm-clock)`);
      else if (r.kind === 'done') say(`tresor: purge: ${r.result.run.purged} recordings purged, ${r.result.plan.held.length} held by legal holds`);
    } catch (e) {
      say(`tresor: purge failed: ${(e as Error).stack ?? e}`);
    }
  }, { timezone: config.timeZone ?? undefined, noOverlap: true, name: 'tresor-purge' });
  return {
    runNow: run,
    busy: () => running !== null,
    async stop() {
      await task.stop();
      if (running) await running.catch(() => undefined);
    },
  };
}

export type PurgeScheduler = ReturnType<typeof createPurgeScheduler>;
