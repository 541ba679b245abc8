import type { Database, RootDatabase } from 'lmdb';

/**
 * The LMDB open options, in one place (store.ts and compact.ts open the same environment
 * and must agree). maxDbs has headroom: the privacy, consent and speech issues add tables,
 * and an environment opened with fewer slots than it holds refuses to open the extra ones.
 * - overlappingSync: false — a write transaction's promise resolves only after fsync, so
 *   "committed" means "survives power loss" (the pipeline deletes sources after this).
 * - no encryptionKey (no integrity, crashes seen) and no useWritemap (SIGBUS on a full disk).
 */
export const LMDB_OPTIONS = { compression: false, overlappingSync: false, maxDbs: 64 } as const;

/**
 * The raw named databases. Internal to src/store/: the table owners are built from it;
 * never re-exported from src/store/index.ts.
 */
export interface Handles {
  root: RootDatabase;
  meta: Database<any, string>;
  recordings: Database<any, string>;
  tokens: Database<any, any[]>;
  byStart: Database<any, any[]>;
  bySha: Database<any, string>;
  keys: Database<any, string>;
  segments: Database<any, string>;
  inflight: Database<any, string>;
  quarantine: Database<any, string>;
  log: Database<string, number>;
  tree: Database<Buffer, any[]>;
  checkpoints: Database<string, number>;
  logIndex: Database<any, any[]>;
  policies: Database<any, string>;
  byExpiry: Database<any, any[]>;
  purged: Database<any, string>;
  purgeRuns: Database<any, string>;
  holds: Database<any, string>;
  users: Database<any, string>;
  sessions: Database<any, string>;
  apiTokens: Database<any, string>;
  approvals: Database<any, string>;
  requests: Database<any, string>;
  consentPending: Database<any, any[]>;
  requestTokens: Database<any, any[]>;
  alerts: Database<any, string>;
  breaches: Database<any, string>;
  objections: Database<any, string>;
  objectionTokens: Database<any, any[]>;
  extensions: Database<any, string>;
}
