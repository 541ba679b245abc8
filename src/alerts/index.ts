import type { Config } from '../config/index.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import { createCronTimer } from '../retention/schedule.ts';
import { evaluateRules, type AlertInputs } from './rules.ts';
import { gatherInputs, type LiveFacts } from './inputs.ts';
import { applyFirings, deliver, type ChannelHealth, type Transition } from './engine.ts';
import { journalChannel } from './channels/journal.ts';
import { webhookChannel } from './channels/webhook.ts';
import { smtpChannel } from './channels/smtp.ts';
import type { Channel } from './channels/types.ts';

export { acknowledgeAlert, applyFirings, type ChannelHealth, type Transition } from './engine.ts';
export { evaluateRules, RULE_NAMES, type AlertInputs, type Firing } from './rules.ts';
export { gatherInputs, accessLastHour, isWorkingTime, type LiveFacts } from './inputs.ts';
export { journalLine, journalChannel, PRIORITY } from './channels/journal.ts';
export { signBody, webhookChannel } from './channels/webhook.ts';
export { smtpChannel } from './channels/smtp.ts';
export type { Channel, AlertMessage } from './channels/types.ts';

/** The channels the settings name: the journal always, webhook and mail when configured. */
export function channelsOf(a: Config['alerts'], write?: (line: string) => void): Channel[] {
  return [
    journalChannel(write),
    ...(a.webhook ? [webhookChannel(a.webhook)] : []),
    ...(a.smtp ? [smtpChannel(a.smtp)] : []),
  ];
}

export interface SelfCheckResult {
  fsckProblems: number;
  logProblems: number;
}

export interface AlertsDeps {
  store: IndexStore;
  log: LogWriter;
  config: Config;
  createdAt: number;
  /** the service's live facts (ingest status, witnesses); read on every evaluation */
  live(): Omit<LiveFacts, 'selfCheck'>;
  /** the nightly fsck + log verification (wired by the composition root: both live in site/audit) */
  selfCheck?: () => Promise<SelfCheckResult>;
  channels?: Channel[];
  say?: (m: string) => void;
}

export interface Alerts {
  /** gathers, evaluates, raises/clears, delivers; never two at once */
  evaluateNow(): Promise<Transition[]>;
  runSelfCheck(): Promise<NonNullable<AlertInputs['selfCheck']>>;
  lastInputs(): AlertInputs | null;
  channelHealth(): ChannelHealth;
  start(): void;
  stop(): Promise<void>;
}

/** The running alerting: a timer evaluates every `alerts.intervalSeconds`, cron runs the self-check. */
export function createAlerts(deps: AlertsDeps): Alerts {
  const { store, log, config } = deps;
  const channels = deps.channels ?? channelsOf(config.alerts);
  const health: ChannelHealth = {};
  const say = deps.say ?? (() => undefined);
  let inputs: AlertInputs | null = null;
  let selfCheck: AlertInputs['selfCheck'] = null;
  let running: Promise<Transition[]> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let cronTimer: ReturnType<typeof createCronTimer> | null = null;
  let checking: Promise<unknown> = Promise.resolve();

  const evaluateOnce = async (): Promise<Transition[]> => {
    inputs = await gatherInputs({ store, config, createdAt: deps.createdAt, live: { ...deps.live(), selfCheck } });
    const transitions = await applyFirings(store, log, evaluateRules(inputs, config.alerts.rules), inputs.now);
    await deliver(store, channels, transitions, health);
    return transitions;
  };
  const evaluateNow = () => {
    if (!running) running = evaluateOnce().finally(() => (running = null));
    return running;
  };
  const runSelfCheck = async () => {
    const at = Date.now();
    try {
      if (!deps.selfCheck) throw new Error('no self-check wired');
      const r = await deps.selfCheck();
      selfCheck = { at, ...r, error: null };
    } catch (e) {
      selfCheck = { at, fsckProblems: 0, logProblems: 0, error: (e as Error).message };
    }
    await log.append([{ actor: 'system:alerts', action: 'selfcheck.done', target: 'site', detail: { fsckProblems: selfCheck.fsckProblems, logProblems: selfCheck.logProblems, failed: selfCheck.error !== null } }]);
    await evaluateNow();
    return selfCheck;
  };

  return {
    evaluateNow,
    runSelfCheck,
    lastInputs: () => inputs,
    channelHealth: () => ({ ...health }),
    start() {
      const tick = () => void evaluateNow().catch((e) => say(`tresor: alert evaluation failed: ${(e as Error).message}`));
      timer = setInterval(tick, config.alerts.intervalSeconds * 1000);
      timer.unref();
      tick();
      if (deps.selfCheck && config.alerts.rules.selfCheck.enabled) {
        cronTimer = createCronTimer(config.alerts.selfCheckSchedule, {
          timezone: config.retention.timeZone ?? undefined,
          onSlot: () => void (checking = runSelfCheck().catch((e) => say(`tresor: self-check failed: ${(e as Error).message}`))),
        });
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      cronTimer?.stop();
      await checking;
      if (running) await running.catch(() => undefined);
    },
  };
}
export { archivedPerDay, diskSeries, accessesPerDay, openRequestsByDue, alertsPerWeek, dayBuckets, weekBuckets, ACCESS_KINDS, DUE_BUCKETS, SEVERITIES, type ArchivedPerDay, type DiskSeries, type AccessesPerDay, type AlertsPerWeek, type Bucket, type DueBucket } from './charts.ts';
