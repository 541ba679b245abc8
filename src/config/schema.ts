// The settings, their embedded defaults, and the checks. Defaults must give a working
// appliance with no file at all (`npm ci && npm start`).

import { defaultAlerts } from './alerts.ts';

export type Disposition = 'delete' | 'move' | 'keep';
export type StoreFormat = 'opus' | 'flac' | 'original';

export interface Config {
  /** where the archive, index, keys, quarantine live */
  dataDir: string;
  /** the folder the PBX writes into (often an SMB/NFS mount) */
  inbox: string;
  host: string;
  port: number;
  /** explicit ffmpeg binary; null = resolve (see src/media/resolve.ts) */
  ffmpeg: string | null;
  phone: {
    /** country calling code without +, for numbers written nationally (030 1234 → +49301234) */
    countryCode: string;
    /** trunk prefix dialled before national numbers */
    nationalPrefix: string;
    /** prefix dialled before international numbers */
    internationalPrefix: string;
  };
  ingest: {
    /** a file is taken once size and mtime stayed put this long */
    settleSeconds: number;
    /** periodic rescan; fs.watch is only a hint (SMB/NFS deliver no events for remote writes) */
    scanIntervalSeconds: number;
    /** files ingested in parallel */
    workers: number;
    maxFileMiB: number;
    /** refuse to write when less than this is free on the data disk */
    minFreeMiB: number;
    disposition: Disposition;
    /** target of disposition "move"; default <data>/processed */
    moveTo: string | null;
    storeFormat: StoreFormat;
    /** Opus bitrate per channel in kbit/s (voice) */
    opusKbpsPerChannel: number;
    /** Opus encoder effort 0..10 (DESIGN §7: 5 is ~1.5x faster than 10 at ~same size) */
    opusCompressionLevel: number;
    /** retries for retryable failures (disk full, ffmpeg hang) before quarantine */
    maxAttempts: number;
  };
  media: {
    /** hard limit for one ffmpeg run */
    timeoutSeconds: number;
    /** kill ffmpeg when it reports no progress this long */
    stallSeconds: number;
    /** WAV downloads decoded at once (their own ffmpeg slots, apart from ingest's) */
    downloadSlots: number;
    /** WAV downloads that may wait for a slot; more get 503 with Retry-After */
    downloadQueue: number;
  };
  web: {
    /** PEM files; with both set the console speaks HTTPS only, with HSTS and __Host- cookies */
    tlsCert: string | null;
    tlsKey: string | null;
    /** the origin browsers use (https://tresor.example:8443) when behind a proxy; null = from Host */
    publicOrigin: string | null;
    /** largest request body accepted (forms are tiny; nothing uploads audio over HTTP) */
    maxBodyKiB: number;
  };
  auth: {
    /** a console session ends after this long without a request */
    sessionIdleMinutes: number;
    /** and after this long in any case */
    sessionMaxHours: number;
    /** admin and dpo accounts must sign in with a TOTP code */
    requireTotpForPrivileged: boolean;
  };
  retention: {
    /** policies from the file (src/policy/retention.ts); more can be added on the console (src/retention/policies.ts) */
    policies: import('../policy/index.ts').Policy[];
    /** node-cron expression for the purge; the default avoids 02:00-03:00, where DST skips or repeats */
    schedule: string;
    /** IANA zone for the schedule; null = the box's zone */
    timeZone: string | null;
    /** hold the purge for an admin when the wall clock moved this much more than the process's monotonic clock, or when it is this far past the last run and the newest ingest */
    maxClockJumpHours: number;
    /** a policy in this file that makes stored calls due earlier applies only after this many days, unless rejected (src/retention/policy-change.ts) */
    configGraceDays: number;
  };
  consent: {
    /** DTMF consent in the first windowSeconds of the call (issue 12); null = not looked for */
    dtmf: { grant: string; deny: string; windowSeconds: number } | null;
    /** a consent event that came before its recording waits this long for it */
    pendingHours: number;
    /** no-consent policy (src/policy/consent-gate.ts); null = off (no marks, as before issue 12) */
    policy: import('../policy/index.ts').ConsentPolicy | null;
    /** a call with unknown consent stays on the review list this long (issue 12, item 4) */
    unknownDays: number;
    /** what the policy then does with it (src/consent/unknown.ts): erase (crypto-shred; legal holds win) or restrict (barrier restricted:consent-unknown) */
    unknownAction: 'erase' | 'restrict';
  };
  /**
   * Advisory speech analysis at ingest (issue 12, item 5; src/speech/advisor.ts). Off until
   * switched on: analysing employees' speech is a works-council matter (§ 87 Abs. 1 Nr. 6 BetrVG).
   */
  speech: {
    /** null = off; pocketsphinx (Debian pocketsphinx + pocketsphinx-en-us, English) or sherpa-onnx (an imported model) */
    engine: 'pocketsphinx' | 'sherpa-onnx' | null;
    /** the first seconds of the call that are analysed (the consent window) */
    windowSeconds: number;
    /** phrases spotted; the log names the id and kind, never the words */
    phrases: { id: string; kind: 'agree' | 'object'; text: string }[];
    /**
     * the imported model bundle to use, by its hash (`tresor speech import-model DIR`);
     * sherpa-onnx needs one, pocketsphinx uses the Debian en-us model when null
     */
    model: string | null;
  };
  log: {
    /** checkpoint origin line; null = unique per site, chosen at first start */
    origin: string | null;
    checkpointIntervalSeconds: number;
    /** C2SP tlog-witness witnesses that cosign each checkpoint; url null = air-gapped (files) */
    witnesses: { url: string | null; vkey: string }[];
    /** how many must have cosigned for the dashboard to call the checkpoint witnessed; null = all */
    witnessQuorum: number | null;
    /** the dashboard warns when no checkpoint was handed out (`audit checkpoint --pdf`) for this many days; 0 = never */
    handOutDays: number;
  };
  audit: {
    /** an evidence bundle (`tresor audit bundle`) of more calls than this needs a second person's approval (four-eyes) */
    bundleApprovalOver: number;
  };
  /** the DPO's early warning (issue 14; src/alerts/, checks in src/config/alerts.ts) */
  alerts: import('./alerts.ts').AlertsConfig;
  /** issue 11 item 8: the transparency facts (public /privacy page, IVR text, Art. 30 record); empty = "not configured" */
  privacy: {
    /** Art. 13(1)(a): who decides why and how calls are recorded */
    controller: { name: string; address: string; email: string };
    /** Art. 13(1)(b), Art. 37(7): the data-protection officer's contact */
    dpo: { name: string; email: string };
    /** Art. 13(1)(c): why calls are recorded, one line each (e.g. "quality assurance") */
    purposes: string[];
    /** a new call of a subject on the do-not-record register (scope record): discard (source destroyed, `recording.refused`) or restrict (archived, Art. 18) */
    objectionAtIngest: 'discard' | 'restrict';
    /** Art. 17: an erasure request covering more calls than this needs an explicit confirmation (mass-erasure guard) */
    maxErasureCalls: number;
    /** Art. 15 package: give agents' names in the call metadata (default false: colleagues' names are third-party data, Art. 15(4); the package says "agent") */
    packageAgentNames: boolean;
    /** closed requests are kept this many years (default 3, § 195 BGB), then crypto-shredded by the scheduled purge (src/privacy/request-shred.ts) */
    closedRequestYears: number;
  };
  /**
   * issue 15 item 4: extension → agent name, for PBXs whose file names carry only the
   * extension (FreePBX). Entries made in the console (Admin → Extensions, sealed in the
   * index) win over these. Names here are in the settings file, which only root reads.
   */
  directory: { extensions: Record<string, string> };
}

export function defaultConfig(): Config {
  return {
    dataDir: './data',
    inbox: '',
    host: '127.0.0.1',
    port: 8080,
    ffmpeg: null,
    phone: { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' },
    ingest: {
      settleSeconds: 5,
      scanIntervalSeconds: 5,
      workers: 2,
      // 8 h of 16 kHz mono (or 8 kHz stereo) 16-bit PCM is 879 MiB: one long call fits,
      // what cannot be one call is left in the inbox (it was 2048 while ingest read whole files)
      maxFileMiB: 1024,
      minFreeMiB: 256,
      disposition: 'delete',
      moveTo: null,
      storeFormat: 'opus',
      opusKbpsPerChannel: 16,
      opusCompressionLevel: 5,
      maxAttempts: 3,
    },
    media: { timeoutSeconds: 1800, stallSeconds: 60, downloadSlots: 2, downloadQueue: 4 },
    web: { tlsCert: null, tlsKey: null, publicOrigin: null, maxBodyKiB: 64 },
    auth: { sessionIdleMinutes: 30, sessionMaxHours: 12, requireTotpForPrivileged: false },
    retention: { policies: [], schedule: '30 3 * * *', timeZone: null, maxClockJumpHours: 48, configGraceDays: 30 },
    consent: { dtmf: null, policy: null, pendingHours: 72, unknownDays: 30, unknownAction: 'restrict' },
    speech: { engine: null, windowSeconds: 60, phrases: [], model: null },
    log: { origin: null, checkpointIntervalSeconds: 300, witnesses: [], witnessQuorum: null, handOutDays: 30 },
    audit: { bundleApprovalOver: 20 },
    alerts: defaultAlerts(),
    directory: { extensions: {} },
    privacy: { controller: { name: '', address: '', email: '' }, dpo: { name: '', email: '' }, purposes: [], objectionAtIngest: 'discard', maxErasureCalls: 100, packageAgentNames: false, closedRequestYears: 3 },
  };
}
