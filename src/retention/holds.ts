import type { IndexStore, RecordingRow, SearchFilters } from '../index/index.ts';

/**
 * Legal holds: a case (name, reason) whose scope is a list of recording ids and/or a saved
 * search. The search is matched against every recording at purge time, so calls that
 * arrive after the hold was placed are caught too. A held recording is never purged,
 * whatever its policy says.
 */
export type HoldSearch = Pick<SearchFilters, 'fromMs' | 'toMs' | 'queue' | 'direction' | 'phoneToken' | 'agentToken' | 'consentState'>;

export interface HoldRow {
  v: 1;
  id: string;
  /** case name, e.g. "Müller ./. Example GmbH, LG Berlin 12 O 345/26" — shown to dpo/admin only */
  caseName: string;
  reason: string;
  ids: string[];
  search: HoldSearch | null;
  createdAt: number;
  createdBy: string;
  state: 'active' | 'released';
  releasedAt: number | null;
  releasedBy: string | null;
  /** the approval that released it (four-eyes) */
  releaseApprovalId: string | null;
}

export function activeHolds(store: IndexStore): HoldRow[] {
  return [...store.holds.getRange()].map((e) => e.value as HoldRow).filter((h) => h.state === 'active');
}

export function searchMatches(s: HoldSearch, r: RecordingRow): boolean {
  if (s.fromMs !== undefined && r.start < s.fromMs) return false;
  if (s.toMs !== undefined && r.start > s.toMs) return false;
  if (s.queue && r.queue !== s.queue) return false;
  if (s.direction && r.direction !== s.direction) return false;
  if (s.consentState && r.consentState !== s.consentState) return false;
  if (s.phoneToken && !r.tokens.some((t) => t.kind === 'phone' && t.token === s.phoneToken)) return false;
  if (s.agentToken && !r.tokens.some((t) => t.kind === 'agent' && t.token === s.agentToken)) return false;
  return true;
}

/** The id of an active hold covering this recording, or null. `holds` lets a purge run reuse one read. */
export function heldBy(store: IndexStore, row: RecordingRow, holds: HoldRow[] = activeHolds(store)): string | null {
  for (const h of holds) {
    if (h.ids.includes(row.id)) return h.id;
    if (h.search && searchMatches(h.search, row)) return h.id;
  }
  return null;
}
