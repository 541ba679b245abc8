import type { Handles } from './handles.ts';

/** The archive's identity (src/site/open.ts): written once at creation, checked at every open. */
export interface SiteMeta {
  id: string;
  createdAt: string;
  origin: string;
  /** short fingerprints of the keys, to detect a swapped key file */
  fingerprints: { kek: string; logSigning: string; indexSecret: string };
  /**
   * The fingerprint of every KEK epoch this archive made (at creation and by rotation),
   * epoch → fingerprint. Every epoch in the kek file must be one of them. Absent in
   * archives made before it existed; filled in at their next open.
   */
  kekEpochs?: Record<string, string>;
}

/** The first-start setup link (src/auth/setup.ts): only the SHA-256 of its secret. */
export interface SetupRow {
  sha256: string;
  expiresAt: number;
}

/** The clock guard's hold (src/retention/clock-guard.ts): purges refuse until an admin confirms the time. */
export interface ClockHold {
  since: number;
  reason: string;
}

// The keys, as older versions wrote them (never rename one: existing archives hold them).
const SITE = 'site';
const SETUP = 'setup';
const LOG_INDEX_VERSION = 'logIndexVersion';
const CLOCK_HOLD = 'purgeClockHold';
const CLOCK_CONFIRMED = 'purgeClockConfirmedAt';
/** high-water mark of trusted wall time (epoch ms) */
const CLOCK_TRUSTED = 'clockTrustedAt';
/** an unfinished KEK rotation */
const KEK_ROTATION = 'kekRotation';
/** the last checkpoint given to a person on paper or file (src/audit/hand-out.ts) */
const HANDED_OUT = 'checkpointHandedOut';

/** the works-council switches (src/speech/works-council.ts, issue 12 #6) */
const WORKS_COUNCIL = 'worksCouncil';

/** The works-council switches (§ 87 Abs. 1 Nr. 6 BetrVG): off unless a row says on. */
export interface WorksCouncilRow {
  v: 1;
  on: Partial<Record<string, boolean>>;
  locked: boolean;
  updatedAt: number;
  updatedBy: string;
}

/** A checkpoint handed out (issue 13): which size, when. */
export interface HandedOutRow {
  size: number;
  at: number;
}

/** Progress of a KEK rotation (src/crypto/keyring.ts rotateKek), so a killed one finishes. */
export interface KekRotationState {
  /** the new epoch */
  to: number;
  /** the epochs in the file when the rotation began */
  from: number[];
  /** fingerprint of the new epoch's key: what meta.site.fingerprints.kek becomes */
  fingerprint: string;
  /** rewrap: DEKs are being rewrapped; drop: the index has switched, old epochs go */
  state: 'rewrap' | 'drop';
  startedAt: number;
  rewrapped: number;
}

/**
 * `meta`: small settings of the archive, one key each. Named getters for what the code
 * keeps here; `get`/`put` for keys without one (tests, probes). Writes belong inside store.tx.
 */
export class MetaTable {
  readonly #db: Handles['meta'];
  constructor(h: Handles) {
    this.#db = h.meta;
  }

  site(): SiteMeta | undefined {
    return this.#db.get(SITE) as SiteMeta | undefined;
  }
  putSite(m: SiteMeta): void {
    void this.#db.put(SITE, m);
  }

  setup(): SetupRow | undefined {
    return this.#db.get(SETUP) as SetupRow | undefined;
  }
  putSetup(row: SetupRow): void {
    void this.#db.put(SETUP, row);
  }
  removeSetup(): void {
    void this.#db.remove(SETUP);
  }

  /** 1 once every log entry is in the target/actor index (src/audit/log.ts) */
  logIndexVersion(): number | undefined {
    return this.#db.get(LOG_INDEX_VERSION) as number | undefined;
  }
  putLogIndexVersion(v: number): void {
    void this.#db.put(LOG_INDEX_VERSION, v);
  }

  clockHold(): ClockHold | null {
    return (this.#db.get(CLOCK_HOLD) as ClockHold | undefined) ?? null;
  }
  putClockHold(h: ClockHold): void {
    void this.#db.put(CLOCK_HOLD, h);
  }
  removeClockHold(): void {
    void this.#db.remove(CLOCK_HOLD);
  }
  /** when an admin last confirmed the clock (epoch ms) */
  clockConfirmedAt(): number | undefined {
    return this.#db.get(CLOCK_CONFIRMED) as number | undefined;
  }
  putClockConfirmedAt(ms: number): void {
    void this.#db.put(CLOCK_CONFIRMED, ms);
  }
  /** the latest wall time seen while the clock passed the guard (epoch ms) */
  clockTrustedAt(): number | undefined {
    return this.#db.get(CLOCK_TRUSTED) as number | undefined;
  }
  putClockTrustedAt(ms: number): void {
    void this.#db.put(CLOCK_TRUSTED, ms);
  }

  kekRotation(): KekRotationState | undefined {
    return this.#db.get(KEK_ROTATION) as KekRotationState | undefined;
  }
  putKekRotation(s: KekRotationState): void {
    void this.#db.put(KEK_ROTATION, s);
  }
  removeKekRotation(): void {
    void this.#db.remove(KEK_ROTATION);
  }

  handedOut(): HandedOutRow | undefined {
    return this.#db.get(HANDED_OUT) as HandedOutRow | undefined;
  }
  putHandedOut(row: HandedOutRow): void {
    void this.#db.put(HANDED_OUT, row);
  }

  worksCouncil(): WorksCouncilRow | undefined {
    return this.#db.get(WORKS_COUNCIL) as WorksCouncilRow | undefined;
  }
  putWorksCouncil(row: WorksCouncilRow): void {
    void this.#db.put(WORKS_COUNCIL, row);
  }

  get(key: string): unknown {
    return this.#db.get(key) as unknown;
  }
  put(key: string, value: unknown): void {
    void this.#db.put(key, value);
  }
  remove(key: string): void {
    void this.#db.remove(key);
  }
}
