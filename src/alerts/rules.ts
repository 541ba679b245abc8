import type { AlertsConfig } from '../config/index.ts';
import type { AlertSeverity } from '../store/index.ts';

/**
 * The alert rules (issue 14) as pure functions: inputs in, firing conditions out. The
 * inputs are counts, times and log actors gathered from the site (src/alerts/inputs.ts);
 * nothing here reads the store, so every rule is tested with plain numbers, and the
 * episode logic (raise once, clear when gone) lives apart (src/alerts/engine.ts).
 */
export interface AlertInputs {
  now: number;
  /** Art. 12(3) deadlines (epoch ms) of the open data-subject requests */
  openRequestDueAt: number[];
  purge: { lastRunState: 'running' | 'done' | 'interrupted' | 'failed' | null; clockHeld: boolean };
  /** epoch ms since which the oldest file waits in the inbox (deferred), or null */
  oldestWaitingSince: number | null;
  quarantinedLastHour: number;
  /** days until the data disk is full at the recent growth; null = no growth or not enough history */
  diskDaysLeft: number | null;
  /** per log actor over the last hour: content reads, distinct numbers searched, reads outside working hours */
  access: { actor: string; plays: number; numbers: number; offHours: number }[];
  failedSignInsLastHour: number;
  witnesses: { name: string; behindMs: number | null; unreachable: boolean; refusing: boolean }[];
  /** the last nightly self-check; null = none ran yet */
  selfCheck: { at: number; fsckProblems: number; logProblems: number; error: string | null } | null;
  /** days since a checkpoint was last handed out (null = never), the box's age in days, the log's size */
  handOut: { daysSince: number | null; ageDays: number; logSize: number };
  /** when the notices of open breaches are due to the authority (Art. 33(1): 72 hours) */
  breachNoticeDueAt: number[];
}

export interface Firing {
  rule: string;
  /** one episode per key: the rule and what it is about */
  key: string;
  severity: AlertSeverity;
  subject: string | null;
  detail: Record<string, string | number | boolean | null>;
}

type Rules = AlertsConfig['rules'];
const DAY = 86_400_000;

export const RULE_NAMES = [
  'requestDue', 'requestOverdue', 'purge', 'ingestLag', 'quarantineGrowth', 'diskForecast',
  'unusualAccess', 'failedSignIns', 'witness', 'selfCheck', 'handOut', 'breachDeadline',
] as const satisfies readonly (keyof Rules)[];

const fire = (rule: string, severity: AlertSeverity, detail: Firing['detail'], subject: string | null = null, part = ''): Firing => ({
  rule, key: `${rule}${part ? `.${part}` : ''}${subject ? `:${subject}` : ''}`, severity, subject, detail,
});

export function requestDue(i: AlertInputs, r: Rules['requestDue']): Firing[] {
  const soon = i.openRequestDueAt.filter((d) => d >= i.now && d - i.now <= r.withinDays * DAY);
  return soon.length ? [fire('requestDue', 'warning', { requests: soon.length, withinDays: r.withinDays })] : [];
}

export function requestOverdue(i: AlertInputs): Firing[] {
  const late = i.openRequestDueAt.filter((d) => d < i.now);
  return late.length ? [fire('requestOverdue', 'critical', { requests: late.length })] : [];
}

export function purge(i: AlertInputs): Firing[] {
  const out: Firing[] = [];
  if (i.purge.clockHeld) out.push(fire('purge', 'critical', { held: true }, null, 'clockHold'));
  if (i.purge.lastRunState === 'failed' || i.purge.lastRunState === 'interrupted') out.push(fire('purge', 'warning', { lastRun: i.purge.lastRunState }, null, 'failed'));
  return out;
}

export function ingestLag(i: AlertInputs, r: Rules['ingestLag']): Firing[] {
  if (i.oldestWaitingSince === null) return [];
  const minutes = Math.floor((i.now - i.oldestWaitingSince) / 60_000);
  return minutes > r.minutes ? [fire('ingestLag', 'warning', { minutes, threshold: r.minutes })] : [];
}

export function quarantineGrowth(i: AlertInputs, r: Rules['quarantineGrowth']): Firing[] {
  return i.quarantinedLastHour > r.perHour ? [fire('quarantineGrowth', 'warning', { lastHour: i.quarantinedLastHour, threshold: r.perHour })] : [];
}

export function diskForecast(i: AlertInputs, r: Rules['diskForecast']): Firing[] {
  if (i.diskDaysLeft === null || i.diskDaysLeft >= r.days) return [];
  // under a tenth of the warning window is an emergency: ingest stops when it is reached
  const severity: AlertSeverity = i.diskDaysLeft < r.days / 10 ? 'critical' : 'warning';
  return [fire('diskForecast', severity, { daysLeft: Math.floor(i.diskDaysLeft * 10) / 10, threshold: r.days })];
}

export function unusualAccess(i: AlertInputs, r: Rules['unusualAccess']): Firing[] {
  const out: Firing[] = [];
  for (const a of i.access) {
    if (a.plays > r.playsPerHour) out.push(fire('unusualAccess', 'critical', { kind: 'plays', lastHour: a.plays, threshold: r.playsPerHour }, a.actor, 'plays'));
    if (a.numbers > r.numbersPerHour) out.push(fire('unusualAccess', 'critical', { kind: 'numbers', lastHour: a.numbers, threshold: r.numbersPerHour }, a.actor, 'numbers'));
    if (r.workingHours !== null && a.offHours > 0) out.push(fire('unusualAccess', 'warning', { kind: 'offHours', lastHour: a.offHours, workingHours: r.workingHours }, a.actor, 'offHours'));
  }
  return out;
}

export function failedSignIns(i: AlertInputs, r: Rules['failedSignIns']): Firing[] {
  return i.failedSignInsLastHour > r.perHour ? [fire('failedSignIns', 'warning', { lastHour: i.failedSignInsLastHour, threshold: r.perHour })] : [];
}

export function witness(i: AlertInputs, r: Rules['witness']): Firing[] {
  const out: Firing[] = [];
  for (const w of i.witnesses) {
    // a refusal means this log forked or was rolled back as far as the witness can tell
    if (w.refusing) out.push(fire('witness', 'critical', { state: 'refusing' }, `witness:${w.name}`));
    else if (w.unreachable) out.push(fire('witness', 'warning', { state: 'unreachable' }, `witness:${w.name}`));
    else if (w.behindMs !== null && w.behindMs > r.behindMinutes * 60_000) {
      out.push(fire('witness', 'warning', { state: 'behind', minutes: Math.floor(w.behindMs / 60_000), threshold: r.behindMinutes }, `witness:${w.name}`));
    }
  }
  return out;
}

export function selfCheck(i: AlertInputs): Firing[] {
  const s = i.selfCheck;
  if (!s || (!s.error && s.fsckProblems === 0 && s.logProblems === 0)) return [];
  return [fire('selfCheck', 'critical', { fsckProblems: s.fsckProblems, logProblems: s.logProblems, failedToRun: s.error !== null })];
}

/** A checkpoint binds the box only once someone outside keeps a copy (issue 13 item 4). */
export function handOut(i: AlertInputs, r: Rules['handOut']): Firing[] {
  const h = i.handOut;
  if (h.logSize === 0) return [];
  const days = h.daysSince ?? h.ageDays;
  return days >= r.days ? [fire('handOut', 'notice', { days: Math.floor(days), threshold: r.days, never: h.daysSince === null })] : [];
}

/** Art. 33(1): the authority within 72 hours of becoming aware. */
export function breachDeadline(i: AlertInputs, r: Rules['breachDeadline']): Firing[] {
  const out: Firing[] = [];
  const late = i.breachNoticeDueAt.filter((d) => d < i.now);
  const soon = i.breachNoticeDueAt.filter((d) => d >= i.now && d - i.now <= r.warnHours * 3600_000);
  if (late.length) out.push(fire('breachDeadline', 'critical', { breaches: late.length }, null, 'overdue'));
  if (soon.length) out.push(fire('breachDeadline', 'warning', { breaches: soon.length, withinHours: r.warnHours }, null, 'soon'));
  return out;
}

/** Every enabled rule over one set of inputs. */
export function evaluateRules(i: AlertInputs, rules: Rules): Firing[] {
  const on = (name: keyof Rules) => rules[name].enabled;
  return [
    ...(on('requestDue') ? requestDue(i, rules.requestDue) : []),
    ...(on('requestOverdue') ? requestOverdue(i) : []),
    ...(on('purge') ? purge(i) : []),
    ...(on('ingestLag') ? ingestLag(i, rules.ingestLag) : []),
    ...(on('quarantineGrowth') ? quarantineGrowth(i, rules.quarantineGrowth) : []),
    ...(on('diskForecast') ? diskForecast(i, rules.diskForecast) : []),
    ...(on('unusualAccess') ? unusualAccess(i, rules.unusualAccess) : []),
    ...(on('failedSignIns') ? failedSignIns(i, rules.failedSignIns) : []),
    ...(on('witness') ? witness(i, rules.witness) : []),
    ...(on('selfCheck') ? selfCheck(i) : []),
    ...(on('handOut') ? handOut(i, rules.handOut) : []),
    ...(on('breachDeadline') ? breachDeadline(i, rules.breachDeadline) : []),
  ];
}
