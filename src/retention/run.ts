import type { Config } from '../config/index.ts';
import type { ClockHold } from '../store/index.ts';
import { checkClock, clockHold, clockProblem } from './clock-guard.ts';
import { planPurge, runPurge, type PurgeDeps, type PurgePlan, type PurgeResult } from './purge.ts';
import { createCronTimer } from './schedule.ts';
import { applyGraceElapsed } from './policy-change.ts';

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
  if (o.dryRun) {
    // a dry run changes nothing, not even the hold
    const problem = clockProblem(deps.store, o.now, o.maxJumpMs);
    if (problem) return { kind: 'held', hold: { since: o.now, reason: problem } };
    return { kind: 'dry-run', plan: planPurge(deps.store, o.now) };
  }
  const hold = await checkClock(deps.store, deps.log, o.now, o.maxJumpMs);
  if (hold) return { kind: 'held', hold };
  // policy changes whose grace is over apply before the plan (only with a trusted clock)
  await applyGraceElapsed(deps, o.now);
  return { kind: 'done', result: await runPurge(deps, { by: o.by, now: o.now, onProgress: o.onProgress }) };
}

/** How often the running service records that its clock is still trusted (the guard's high-water mark). */
const CLOCK_MARK_EVERY_MS = 5 * 60_000;

/**
 * The scheduled purge: never two at once (the shared promise covers "run now" racing the
 * schedule). The schedule's timer (src/retention/schedule.ts) also watches the clock: a
 * jump re-arms the schedule instead of replaying missed runs, and is checked against the
 * guard at once; while the clocks agree, the trusted mark moves on every few minutes, so
 * that a box whose calls stop for a long weekend is not mistaken for a jumped clock.
 */
export function createPurgeScheduler(
  deps: PurgeDeps, config: Config['retention'], say: (m: string) => void,
  /** runs after each scheduled purge that was not held (the unknown-consent decision, wired by the service: retention may not import consent) */
  afterPurge?: (by: string, now: number) => Promise<string | null>,
) {
  const maxJumpMs = config.maxClockJumpHours * 3600_000;
  let running: Promise<GuardedPurge> | null = null;
  const run = (by: string, dryRun = false): Promise<GuardedPurge> => {
    if (running && !dryRun) return running;
    const p = purgeWithGuards(deps, { by, now: Date.now(), maxJumpMs, dryRun });
    if (dryRun) return p;
    running = p.finally(() => (running = null));
    return running;
  };
  const heldSay = (h: ClockHold) => say(`tresor: purge HELD for an admin: ${h.reason}; new calls get no expiry until then (confirm with: tresor purge --confirm-clock)`);

  let lastMark = 0;
  let watching: Promise<unknown> = Promise.resolve();
  const watchClock = (force = false) => {
    const now = Date.now();
    if (!force && now - lastMark < CLOCK_MARK_EVERY_MS) return;
    lastMark = now;
    const wasHeld = !!clockHold(deps.store);
    watching = checkClock(deps.store, deps.log, now, maxJumpMs)
      .then(async (h) => {
        if (h && !wasHeld) heldSay(h);
        if (h) return;
        for (const a of await applyGraceElapsed(deps, now)) say(`tresor: ${a.target}: grace period over, nobody rejected it; the change is in force (${a.id})`);
      })
      .catch((e) => say(`tresor: clock check failed: ${(e as Error).message}`));
  };

  const timer = createCronTimer(config.schedule, {
    timezone: config.timeZone ?? undefined,
    onSlot: () => {
      void run('system:retention').then(async (r) => {
        if (r.kind === 'held') heldSay(r.hold);
        else if (r.kind === 'done') {
          say(`tresor: purge: ${r.result.run.purged} recordings purged, ${r.result.plan.held.length} held by legal holds`);
          const line = await afterPurge?.('system:retention', Date.now()).catch((e: Error) => `tresor: after the purge: ${e.stack ?? e}`);
          if (line) say(line);
        }
      }, (e) => say(`tresor: purge failed: ${(e as Error).stack ?? e}`));
    },
    onJump: (jumpMs) => {
      say(`tresor: the wall clock jumped ${jumpMs > 0 ? '+' : '-'}${(Math.abs(jumpMs) / 3600_000).toFixed(2)} h against the monotonic clock; purge schedule re-armed from ${new Date().toISOString()}, missed runs are not replayed`);
      watchClock(true);
    },
    onTick: () => watchClock(),
  });
  watchClock(true);

  return {
    runNow: run,
    busy: () => running !== null,
    next: () => timer.next(),
    async stop() {
      timer.stop();
      await watching;
      if (running) await running.catch(() => undefined);
    },
  };
}

export type PurgeScheduler = ReturnType<typeof createPurgeScheduler>;
