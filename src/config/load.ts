import { existsSync, readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { MAX_EXTENSION_DIGITS } from '../core/phone.ts';
import { defaultConfig, type Config } from './schema.ts';
import cron from 'node-cron';
import { validatePolicy } from '../policy/index.ts';
import { validateAlerts } from './alerts.ts';
import { validatePrivacy } from './privacy.ts';
import { validateSpeech } from './speech.ts';

function validZone(tz: unknown): boolean {
  if (typeof tz !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/** The settings file of an installed box, read when TRESOR_CONFIG is not set. */
export const SYSTEM_CONFIG = '/etc/tresor/tresor.json';

/** Where the settings came from, so a command that finds no archive can say where it looked. */
export interface ConfigSource {
  /** the settings file read, if any */
  file: string | null;
  fileFrom: 'TRESOR_CONFIG' | 'system' | null;
  /** the system file's path, whether or not it existed */
  systemConfig: string;
  dataDirFrom: 'TRESOR_DATA_DIR' | 'file' | 'default';
  /** the working directory the default ./data was resolved against */
  cwd: string;
}

export interface LoadOptions {
  /** default SYSTEM_CONFIG; tests point it elsewhere */
  systemConfig?: string;
}

/**
 * Loads settings: embedded defaults ← a JSON file ← environment. The file is the one named
 * by TRESOR_CONFIG, else /etc/tresor/tresor.json when it exists (an installed box, so that
 * `tresor status` at the shell finds the archive the service uses), else none.
 * Every problem is collected and reported together (one restart, not ten).
 */
export function loadConfig(env: Env = process.env, opts: LoadOptions = {}): Config {
  return loadSettings(env, opts).config;
}

export function loadSettings(env: Env = process.env, opts: LoadOptions = {}): { config: Config; source: ConfigSource } {
  const errors: string[] = [];
  const cfg = defaultConfig();
  const systemConfig = opts.systemConfig ?? SYSTEM_CONFIG;
  const file = env.TRESOR_CONFIG || (existsSync(systemConfig) ? systemConfig : null);
  const source: ConfigSource = {
    file, fileFrom: env.TRESOR_CONFIG ? 'TRESOR_CONFIG' : file ? 'system' : null, systemConfig, dataDirFrom: 'default', cwd: process.cwd(),
  };
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TresorError('E_CONFIG', `cannot read config file ${file}: ${(e as Error).message}`);
    }
    merge(cfg as unknown as Record<string, unknown>, raw, '', errors);
    if (raw && typeof raw === 'object' && 'dataDir' in raw) source.dataDirFrom = 'file';
  }
  if (env.TRESOR_DATA_DIR) {
    cfg.dataDir = env.TRESOR_DATA_DIR;
    source.dataDirFrom = 'TRESOR_DATA_DIR';
  }
  if (env.TRESOR_INBOX) cfg.inbox = env.TRESOR_INBOX;
  if (env.TRESOR_HOST) cfg.host = env.TRESOR_HOST;
  if (env.TRESOR_PORT !== undefined) cfg.port = Number(env.TRESOR_PORT);
  if (env.TRESOR_FFMPEG) cfg.ffmpeg = env.TRESOR_FFMPEG;

  cfg.dataDir = resolve(cfg.dataDir);
  cfg.inbox = resolve(cfg.inbox || join(cfg.dataDir, 'inbox'));
  if (cfg.ingest.moveTo) cfg.ingest.moveTo = resolve(cfg.ingest.moveTo);
  if (cfg.web.tlsCert) cfg.web.tlsCert = resolve(cfg.web.tlsCert);
  if (cfg.web.tlsKey) cfg.web.tlsKey = resolve(cfg.web.tlsKey);
  validate(cfg, errors);
  if (errors.length) {
    throw new TresorError('E_CONFIG', `invalid configuration${file ? ` (${file})` : ''}:\n  - ${errors.join('\n  - ')}`, { detail: { errors } });
  }
  return { config: cfg, source };
}

/** For a person: where the settings, and so the data directory, came from. */
export function describeSource(s: ConfigSource, c: Config): string[] {
  const lines: string[] = [];
  lines.push(s.fileFrom === 'TRESOR_CONFIG' ? `settings file ${s.file} (TRESOR_CONFIG)` : 'TRESOR_CONFIG is not set');
  if (s.fileFrom === 'system') lines.push(`settings file ${s.file} (installed box)`);
  else if (s.fileFrom === null) lines.push(`${s.systemConfig} does not exist`);
  if (s.dataDirFrom === 'TRESOR_DATA_DIR') lines.push(`data directory ${c.dataDir} (TRESOR_DATA_DIR)`);
  else if (s.dataDirFrom === 'file') lines.push(`TRESOR_DATA_DIR is not set; dataDir from ${s.file}: ${c.dataDir}`);
  else lines.push(`TRESOR_DATA_DIR is not set and no settings file names dataDir: the default ./data in the current folder ${s.cwd}`);
  return lines;
}

/** Settings that are maps from data to data: their keys are not setting names. */
const FREE_MAPS = new Set(['directory.extensions']);

/** Copies known keys with type checks; unknown keys are errors (typos must not pass silently). */
function merge(target: Record<string, unknown>, src: unknown, path: string, errors: string[]): void {
  if (typeof src !== 'object' || src === null || Array.isArray(src)) {
    errors.push(`${path || 'config'}: must be an object`);
    return;
  }
  for (const [k, v] of Object.entries(src)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in target)) {
      errors.push(`${p}: unknown setting`);
      continue;
    }
    const cur = target[k];
    if (FREE_MAPS.has(p)) {
      // a map whose keys are data, not settings (validate() checks them)
      target[k] = v;
    } else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      merge(cur as Record<string, unknown>, v, p, errors);
    } else if (cur === null || v === null || typeof cur === typeof v) {
      target[k] = v;
    } else {
      errors.push(`${p}: expected ${typeof cur}, got ${typeof v}`);
    }
  }
}

function validate(c: Config, errors: string[]): void {
  const int = (v: unknown, name: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      errors.push(`${name}: must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    }
  };
  int(c.port, 'port (TRESOR_PORT)', 0, 65535);
  if (typeof c.host !== 'string' || !c.host) errors.push('host (TRESOR_HOST): must not be empty');
  if (!/^[1-9][0-9]{0,2}$/.test(c.phone.countryCode)) errors.push('phone.countryCode: 1-3 digits, no + (e.g. "49")');
  if (!/^[0-9]{0,3}$/.test(c.phone.nationalPrefix)) errors.push('phone.nationalPrefix: digits');
  if (!/^[0-9]{0,4}$/.test(c.phone.internationalPrefix)) errors.push('phone.internationalPrefix: digits');
  int(c.ingest.settleSeconds, 'ingest.settleSeconds', 0, 3600);
  int(c.ingest.scanIntervalSeconds, 'ingest.scanIntervalSeconds', 0.05, 3600);
  int(c.ingest.workers, 'ingest.workers', 1, 64);
  int(c.ingest.maxFileMiB, 'ingest.maxFileMiB', 1, 1 << 20);
  int(c.ingest.minFreeMiB, 'ingest.minFreeMiB', 0, 1 << 30);
  int(c.ingest.opusKbpsPerChannel, 'ingest.opusKbpsPerChannel', 6, 256);
  int(c.ingest.opusCompressionLevel, 'ingest.opusCompressionLevel', 0, 10);
  int(c.ingest.maxAttempts, 'ingest.maxAttempts', 1, 100);
  if (!['delete', 'move', 'keep'].includes(c.ingest.disposition)) {
    errors.push(`ingest.disposition: one of delete, move, keep (got ${JSON.stringify(c.ingest.disposition)})`);
  }
  if (!['opus', 'flac', 'original'].includes(c.ingest.storeFormat)) {
    errors.push(`ingest.storeFormat: one of opus, flac, original (got ${JSON.stringify(c.ingest.storeFormat)})`);
  }
  int(c.media.timeoutSeconds, 'media.timeoutSeconds', 1, 86400);
  int(c.media.stallSeconds, 'media.stallSeconds', 1, 86400);
  int(c.media.downloadSlots, 'media.downloadSlots', 1, 64);
  int(c.media.downloadQueue, 'media.downloadQueue', 0, 1000);
  int(c.log.checkpointIntervalSeconds, 'log.checkpointIntervalSeconds', 1, 86400 * 7);
  if (c.log.origin !== null && (typeof c.log.origin !== 'string' || !/^[\x21-\x7e][\x20-\x7e]*$/.test(c.log.origin))) {
    errors.push('log.origin: printable ASCII, no leading space (C2SP tlog-checkpoint)');
  }
  if (!Array.isArray(c.log.witnesses)) errors.push('log.witnesses: a list of {"url": "http://host:port", "vkey": "name+hex+base64"}');
  else for (const w of c.log.witnesses as unknown[]) {
    const o = w as { url?: unknown; vkey?: unknown } | null;
    if (!o || typeof o !== 'object') errors.push('log.witnesses: each witness is {"url", "vkey"}');
    else if (typeof o.vkey !== 'string' || !/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/.test(o.vkey)) errors.push(`log.witnesses: vkey must be a C2SP vkey line name+hex+base64 (got ${JSON.stringify(o.vkey)})`);
    else if (o.url !== undefined && o.url !== null && (typeof o.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(o.url))) errors.push(`log.witnesses: url must be http(s)://host:port or null (got ${JSON.stringify(o.url)})`);
    else if (o.url === undefined) o.url = null;
  }
  if (c.log.witnessQuorum !== null) {
    const n = Array.isArray(c.log.witnesses) ? c.log.witnesses.length : 0;
    int(c.log.witnessQuorum, 'log.witnessQuorum', 0, n);
  }
  int(c.log.handOutDays, 'log.handOutDays', 0, 3650);
  if (!Number.isSafeInteger(c.audit.bundleApprovalOver) || c.audit.bundleApprovalOver < 0) errors.push(`audit.bundleApprovalOver: a whole number of calls, 0 or more (got ${JSON.stringify(c.audit.bundleApprovalOver)})`);
  int(c.web.maxBodyKiB, 'web.maxBodyKiB', 1, 1 << 20);
  int(c.auth.sessionIdleMinutes, 'auth.sessionIdleMinutes', 1, 24 * 60);
  int(c.auth.sessionMaxHours, 'auth.sessionMaxHours', 1, 24 * 30);
  if ((c.web.tlsCert === null) !== (c.web.tlsKey === null)) errors.push('web.tlsCert and web.tlsKey: set both or neither');
  if (c.web.publicOrigin !== null && !/^https?:\/\/[^/\s]+$/.test(c.web.publicOrigin)) errors.push('web.publicOrigin: scheme and host only, e.g. "https://tresor.example:8443"');
  if (!Array.isArray(c.retention.policies)) errors.push('retention.policies: a list of {name, match, keep, lock}');
  else for (const p of c.retention.policies) {
    try {
      validatePolicy(p);
    } catch (e) {
      errors.push(`retention.policies: ${(e as Error).message}`);
    }
  }
  if (typeof c.retention.schedule !== 'string' || !cron.validate(c.retention.schedule)) errors.push(`retention.schedule: not a cron expression (got ${JSON.stringify(c.retention.schedule)}; e.g. "30 3 * * *")`);
  if (c.retention.timeZone !== null && !validZone(c.retention.timeZone)) errors.push(`retention.timeZone: not an IANA time zone (got ${JSON.stringify(c.retention.timeZone)}; e.g. "Europe/Berlin")`);
  int(c.retention.maxClockJumpHours, 'retention.maxClockJumpHours', 1, 24 * 365);
  int(c.retention.configGraceDays, 'retention.configGraceDays', 7, 3650);
  validateAlerts(c.alerts, errors);
  if (c.consent.dtmf !== null) {
    const d = c.consent.dtmf as Partial<NonNullable<Config['consent']['dtmf']>>;
    const key = (v: unknown) => typeof v === 'string' && /^[0-9*#A-D]$/.test(v);
    if (typeof d !== 'object' || !key(d.grant) || !key(d.deny) || d.grant === d.deny) errors.push('consent.dtmf: {"grant":"1","deny":"2","windowSeconds":60} (two different keys 0-9 * # A-D)');
    else int(d.windowSeconds, 'consent.dtmf.windowSeconds', 1, 600);
  }
  if (c.consent.policy !== null && !['discard', 'restrict'].includes(c.consent.policy)) errors.push(`consent.policy: discard, restrict or null (got ${JSON.stringify(c.consent.policy)})`);
  int(c.consent.pendingHours, 'consent.pendingHours', 1, 24 * 90);
  int(c.consent.unknownDays, 'consent.unknownDays', 1, 3650);
  if (!['erase', 'restrict'].includes(c.consent.unknownAction)) errors.push(`consent.unknownAction: erase or restrict (got ${JSON.stringify(c.consent.unknownAction)})`);
  if (c.ingest.moveTo && c.ingest.moveTo === c.inbox) errors.push('ingest.moveTo: must not be the inbox');
  if (c.inbox === c.dataDir) errors.push('inbox: must not be the data directory itself');
  validateDirectory(c, errors);
  validatePrivacy(c, errors);
  validateSpeech(c, errors);
  if (!['discard', 'restrict'].includes(c.privacy.objectionAtIngest)) errors.push(`privacy.objectionAtIngest: discard or restrict (got ${JSON.stringify(c.privacy.objectionAtIngest)})`);
}

/** directory.extensions: {"201": "Anna Müller"}; extensions as the names give them (digits). */
function validateDirectory(c: Config, errors: string[]): void {
  const m = c.directory.extensions as unknown;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    errors.push('directory.extensions: an object of extension → agent name, e.g. {"201": "Anna Müller"}');
    return;
  }
  for (const [ext, name] of Object.entries(m)) {
    if (!EXTENSION_KEY.test(ext)) errors.push(`directory.extensions: "${ext}" is no extension (1 to ${MAX_EXTENSION_DIGITS} digits)`);
    // the name itself is not repeated: it is personal data, and errors go to the journal
    else if (typeof name !== 'string' || !name.trim() || name.length > 200) errors.push(`directory.extensions.${ext}: a name of 1 to 200 characters`);
  }
}
const EXTENSION_KEY = new RegExp(`^\\d{1,${MAX_EXTENSION_DIGITS}}$`);
