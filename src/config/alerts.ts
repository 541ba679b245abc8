import cron from 'node-cron';

// The alert settings (issue 14): each rule on or off with its thresholds, the channels, the
// evaluation interval and the nightly self-check. Defaults are meant to be quiet on a
// healthy box and loud on a box that needs a person.

export interface AlertsConfig {
  /** how often the service evaluates every rule */
  intervalSeconds: number;
  /** JSON POST of every raised alert, body signed with HMAC-SHA256 (X-Tresor-Signature) */
  webhook: { url: string; secret: string } | null;
  /** mail of every raised alert to `to` (plain SMTP on the site's relay; STARTTLS when offered) */
  smtp: { host: string; port: number; from: string; to: string[] } | null;
  /** node-cron expression of the nightly fsck + log verification */
  selfCheckSchedule: string;
  rules: {
    /** an open data-subject request due within `withinDays` (GDPR Art. 12(3)) */
    requestDue: { enabled: boolean; withinDays: number };
    /** an open request past its deadline */
    requestOverdue: { enabled: boolean };
    /** the last purge run failed or was interrupted, or the clock guard holds the purge */
    purge: { enabled: boolean };
    /** a file waits in the inbox (deferred) longer than `minutes` */
    ingestLag: { enabled: boolean; minutes: number };
    /** more than `perHour` files quarantined in the last hour */
    quarantineGrowth: { enabled: boolean; perHour: number };
    /** the forecast says the disk is full in fewer than `days` */
    diskForecast: { enabled: boolean; days: number };
    /**
     * one user plays/downloads/exports more than `playsPerHour` calls, or searches more than
     * `numbersPerHour` distinct numbers, or reads content outside working hours
     */
    unusualAccess: {
      enabled: boolean;
      playsPerHour: number;
      numbersPerHour: number;
      /** "HH:MM-HH:MM" local time; null = no off-hours check */
      workingHours: string | null;
      /** ISO weekdays 1 (Monday) … 7 (Sunday) */
      workingDays: number[];
      /** IANA zone of the working hours; null = the box's zone */
      timeZone: string | null;
    };
    /** more than `perHour` failed sign-ins in the last hour (all users together) */
    failedSignIns: { enabled: boolean; perHour: number };
    /** a witness refuses (critical), is unreachable, or is behind longer than `behindMinutes` */
    witness: { enabled: boolean; behindMinutes: number };
    /** the nightly fsck or log verification found problems or could not run */
    selfCheck: { enabled: boolean };
    /** no checkpoint handed out (tresor audit checkpoint) for `days` days (issue 13 item 4) */
    handOut: { enabled: boolean; days: number };
    /** an open breach whose notice to the authority is due within `warnHours` (warning) or overdue (critical), Art. 33(1) */
    breachDeadline: { enabled: boolean; warnHours: number };
  };
}

export function defaultAlerts(): AlertsConfig {
  return {
    intervalSeconds: 60,
    webhook: null,
    smtp: null,
    // after the purge (03:30) and outside 02:00-03:00 where DST skips or repeats
    selfCheckSchedule: '45 4 * * *',
    rules: {
      requestDue: { enabled: true, withinDays: 7 },
      requestOverdue: { enabled: true },
      purge: { enabled: true },
      ingestLag: { enabled: true, minutes: 30 },
      quarantineGrowth: { enabled: true, perHour: 10 },
      diskForecast: { enabled: true, days: 14 },
      unusualAccess: { enabled: true, playsPerHour: 60, numbersPerHour: 20, workingHours: '06:00-22:00', workingDays: [1, 2, 3, 4, 5, 6], timeZone: null },
      failedSignIns: { enabled: true, perHour: 20 },
      witness: { enabled: true, behindMinutes: 30 },
      selfCheck: { enabled: true },
      handOut: { enabled: true, days: 30 },
      breachDeadline: { enabled: true, warnHours: 24 },
    },
  };
}

/** "HH:MM-HH:MM" → minutes of the day [from, to); to ≤ from wraps past midnight. */
export function parseWorkingHours(s: string): [number, number] | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(s);
  if (!m) return null;
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}

export function validateAlerts(a: AlertsConfig, errors: string[]): void {
  const num = (v: unknown, name: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) errors.push(`alerts.${name}: must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  };
  num(a.intervalSeconds, 'intervalSeconds', 1, 86400);
  if (typeof a.selfCheckSchedule !== 'string' || !cron.validate(a.selfCheckSchedule)) errors.push(`alerts.selfCheckSchedule: not a cron expression (got ${JSON.stringify(a.selfCheckSchedule)}; e.g. "45 4 * * *")`);
  if (a.webhook !== null) {
    const w = a.webhook as Partial<{ url: unknown; secret: unknown }>;
    if (typeof w !== 'object' || Array.isArray(w)) errors.push('alerts.webhook: {"url": "https://…", "secret": "…"} or null');
    else {
      if (typeof w.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(w.url)) errors.push(`alerts.webhook.url: http(s)://host/path (got ${JSON.stringify(w.url)})`);
      // a short secret makes the signature guessable; 16 characters is the least we accept
      if (typeof w.secret !== 'string' || w.secret.length < 16) errors.push('alerts.webhook.secret: a string of at least 16 characters (the HMAC key)');
      for (const k of Object.keys(w)) if (k !== 'url' && k !== 'secret') errors.push(`alerts.webhook.${k}: unknown setting`);
    }
  }
  if (a.smtp !== null) {
    const s = a.smtp as Partial<{ host: unknown; port: unknown; from: unknown; to: unknown }>;
    if (typeof s !== 'object' || Array.isArray(s)) errors.push('alerts.smtp: {"host", "port", "from", "to": [addresses]} or null');
    else {
      const addr = (v: unknown) => typeof v === 'string' && /^[^\s@<>]+@[^\s@<>]+$/.test(v);
      if (typeof s.host !== 'string' || !s.host) errors.push('alerts.smtp.host: the mail relay\'s host name');
      if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) errors.push(`alerts.smtp.port: 1 to 65535 (got ${JSON.stringify(s.port)})`);
      if (!addr(s.from)) errors.push(`alerts.smtp.from: one address (got ${JSON.stringify(s.from)})`);
      if (!Array.isArray(s.to) || s.to.length === 0 || !s.to.every(addr)) errors.push(`alerts.smtp.to: a list of at least one address (got ${JSON.stringify(s.to)})`);
      for (const k of Object.keys(s)) if (!['host', 'port', 'from', 'to'].includes(k)) errors.push(`alerts.smtp.${k}: unknown setting`);
    }
  }
  const r = a.rules;
  for (const [name, rule] of Object.entries(r)) {
    if (typeof (rule as { enabled: unknown }).enabled !== 'boolean') errors.push(`alerts.rules.${name}.enabled: true or false`);
  }
  num(r.requestDue.withinDays, 'rules.requestDue.withinDays', 0, 90);
  num(r.ingestLag.minutes, 'rules.ingestLag.minutes', 1, 7 * 24 * 60);
  num(r.quarantineGrowth.perHour, 'rules.quarantineGrowth.perHour', 0, 1e6);
  num(r.diskForecast.days, 'rules.diskForecast.days', 0, 3650);
  num(r.unusualAccess.playsPerHour, 'rules.unusualAccess.playsPerHour', 0, 1e6);
  num(r.unusualAccess.numbersPerHour, 'rules.unusualAccess.numbersPerHour', 0, 1e6);
  const u = r.unusualAccess;
  if (u.workingHours !== null && (typeof u.workingHours !== 'string' || !parseWorkingHours(u.workingHours))) {
    errors.push(`alerts.rules.unusualAccess.workingHours: "HH:MM-HH:MM" local time, or null for no off-hours check (got ${JSON.stringify(u.workingHours)})`);
  }
  if (!Array.isArray(u.workingDays) || !u.workingDays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
    errors.push(`alerts.rules.unusualAccess.workingDays: ISO weekdays 1 (Monday) to 7 (Sunday) (got ${JSON.stringify(u.workingDays)})`);
  }
  if (u.timeZone !== null) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: u.timeZone as string });
    } catch {
      errors.push(`alerts.rules.unusualAccess.timeZone: not an IANA time zone (got ${JSON.stringify(u.timeZone)})`);
    }
  }
  num(r.failedSignIns.perHour, 'rules.failedSignIns.perHour', 0, 1e6);
  num(r.witness.behindMinutes, 'rules.witness.behindMinutes', 1, 7 * 24 * 60);
  num(r.handOut.days, 'rules.handOut.days', 1, 3650);
  num(r.breachDeadline.warnHours, 'rules.breachDeadline.warnHours', 1, 72);
}
