import cron from 'node-cron';

/**
 * A cron schedule that survives a wall-clock jump (issue 9 #7).
 *
 * node-cron's own timer, on waking, walks every slot between the one it expected and
 * "now" and reports each as missed (`planBeat` in node-cron 4): after a jump of 3 years
 * a per-minute schedule is 1.5 million slots, ≈ 190 s of blocked event loop on the
 * development machine (plus a warning line per slot); per-second it never comes back.
 * So node-cron only parses and matches here (a task that is never started); the timer
 * is ours: one `setTimeout` to the next slot, never longer than `maxSleepMs`, and at every
 * wake the wall clock is compared with the monotonic clock. When they disagree by more
 * than `jumpToleranceMs` the wall clock stepped: the schedule is re-armed from the new
 * "now" (the slots in between are not replayed) and `onJump` is told by how much.
 * Event-loop lag cannot look like a jump: both clocks advance through it alike.
 */
export interface CronTimerOptions {
  timezone?: string;
  /** longest sleep between two looks at the clocks (also the watch interval) */
  maxSleepMs?: number;
  /** a disagreement of wall and monotonic clock above this is a jump */
  jumpToleranceMs?: number;
  onSlot(slot: Date): void;
  /** the wall clock stepped by `jumpMs` (positive: forward) */
  onJump?(jumpMs: number): void;
  /** every wake without a jump: the clocks agree (the clock watch uses it) */
  onTick?(wallNow: number): void;
}

export interface CronTimer {
  next(): Date | null;
  stop(): void;
}

export function createCronTimer(expression: string, o: CronTimerOptions): CronTimer {
  const maxSleep = o.maxSleepMs ?? 60_000;
  const tolerance = o.jumpToleranceMs ?? 30_000;
  const matcher = cron.createTask(expression, () => undefined, { timezone: o.timezone, name: `tresor-matcher-${expression}` });
  const nextAfterNow = () => matcher.getNextRuns(1)[0]!;
  let next = nextAfterNow();
  let seen = { wall: Date.now(), mono: performance.now() };
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const arm = () => {
    if (stopped) return;
    const wait = Math.max(0, Math.min(maxSleep, next.getTime() - Date.now()));
    timer = setTimeout(wake, wait);
    timer.unref();
  };

  function wake(): void {
    if (stopped) return;
    const now = { wall: Date.now(), mono: performance.now() };
    const jump = (now.wall - seen.wall) - (now.mono - seen.mono);
    seen = now;
    if (Math.abs(jump) > tolerance) {
      next = nextAfterNow();
      o.onJump?.(jump);
    } else {
      o.onTick?.(now.wall);
      if (now.wall >= next.getTime()) {
        const slot = next;
        next = nextAfterNow();
        o.onSlot(slot);
      }
    }
    arm();
  }

  arm();
  return {
    next: () => (stopped ? null : next),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      void matcher.destroy();
    },
  };
}
