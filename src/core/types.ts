export type Direction = 'in' | 'out' | 'internal' | 'unknown';
export type ConsentState = 'granted' | 'denied' | 'unknown';

/** How consent was given or refused (issue 12). */
export const CONSENT_METHODS = ['dtmf', 'ivr', 'verbal', 'agent', 'crm', 'announcement', 'sidecar'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/**
 * One piece of consent evidence, as sealed with the recording's key (issue 12). Personal:
 * `evidence` may hold an event id, a note, the digit pressed.
 */
export interface ConsentEvidence {
  state: ConsentState;
  method: ConsentMethod;
  /** RFC 3339: when consent was given or refused, if known */
  at: string | null;
  /** where in the audio it applies (ms from the start), if it does */
  offsetMs: number | null;
  /** which announcement the caller heard */
  promptVersion: string | null;
  /** which system said so (pbx, ivr, crm name, tresor:dtmf) */
  source: string | null;
  evidence: unknown;
  /** RFC 3339: when Tresor recorded it */
  recordedAt: string;
  /** a detector's finding (speech analysis): shown, never decides the call's state (issue 12, item 5) */
  advisory?: true;
}

export interface Consent {
  state: ConsentState;
  method?: string;
  at?: string;
  evidence?: string;
}

/**
 * Everything we know about a call before it is stored. Fields marked personal are only
 * ever written encrypted with the recording's DEK (crypto-shredding erases them with it).
 */
export interface CallMetadata {
  callId?: string;
  /** epoch ms */
  start: number;
  direction: Direction;
  /** personal: E.164 where it could be normalised, else the raw digits */
  from?: string;
  /** personal */
  to?: string;
  /** personal (a person's name or extension) */
  agent?: string;
  /**
   * the extension on the agent's side when the file name gives one (FreePBX, 3CX): the
   * extension directory names its agent at ingest when nothing else did (issue 15)
   */
  agentExtension?: string;
  queue?: string;
  consent: Consent;
  purpose?: string;
  tags: string[];
  /** sidecar fields we do not know, kept as given (personal: they may hold anything) */
  extra: Record<string, unknown>;
  /** which parser read the name: freepbx | 3cx | generic */
  nameFormat: string;
  /** true when start came from the file's mtime, not from the name or sidecar */
  startFromMtime: boolean;
}

/** What `list --json` and the API print for a recording. */
export interface RecordingView {
  id: string;
  start: string;
  durationMs: number;
  direction: Direction;
  from: string | null;
  to: string | null;
  agent: string | null;
  queue: string | null;
  consent: Consent;
  purpose: string | null;
  tags: string[];
  callId: string | null;
  sourceName: string;
  sourceSha256: string;
  sourceBytes: number;
  channels: number;
  sampleRate: number;
  storedFormat: string;
  storedBytes: number;
  ingestedAt: string;
  /** the consent evidence, opened after the view's log entry (absent when masked) */
  consentEvidence?: ConsentEvidence[];
  /** set when personal fields were withheld (the viewer's roles do not cover them) */
  masked?: true;
  /** set when the personal fields cannot be opened (the row has no data key: damage); says why */
  /** closed under Art. 18 GDPR for these kinds (objection, …): not played or exported */
  restricted?: string[];
  unreadable?: string;
}

/** What callers hand to the access log (src/audit fills in seq, time, prev). */
export interface NewLogEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/**
 * The part of the access log that writers need. `appendSync` runs inside the caller's
 * LMDB write transaction (atomic with the caller's own index writes); `append` is its
 * own durable transaction.
 */
export interface LogWriter {
  appendSync(entries: NewLogEntry[]): unknown;
  append(entries: NewLogEntry[]): Promise<unknown>;
}

/**
 * The search form's fields, as typed (echoed back into the form and into shareable URLs);
 * src/access/search-form.ts turns them into a query. Here so that pages can take them.
 */
export interface SearchFields {
  from: string;
  to: string;
  number: string;
  /** any part of an agent's name (issue 15) */
  agent: string;
  customerId: string;
  tag: string;
  purpose: string;
  queue: string;
  direction: string;
  consent: string;
  minDuration: string;
  maxDuration: string;
  cursor: string;
  limit: string;
}

/**
 * A retention policy as stored and configured: which recordings it covers and how long it
 * keeps them (the rules are src/policy/retention.ts; the stored rows src/store/policies.ts).
 */
export interface PolicyMatch {
  queue?: string[];
  direction?: Direction[];
  purpose?: string[];
  /** the recording carries at least one of these tags */
  tags?: string[];
  consent?: ConsentState[];
}

export interface Policy {
  name: string;
  match: PolicyMatch;
  /** ISO 8601 duration from the call's start */
  keep: string;
  lock: boolean;
}
