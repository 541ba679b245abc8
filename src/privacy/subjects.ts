import type { PrivacyDeps } from './deps.ts';
import { normaliseIdentifiers, tokenPrefix, tokensOfIdentifiers, type SubjectIdentifiers } from './identifiers.ts';

/** Every place a data subject appears (ids only: no personal data is opened to build it). */
export interface SubjectHits {
  recordings: string[];
  /**
   * Quarantined files whose name or sidecar gave this number (their tokens are stored at
   * quarantine time; entries quarantined before that, and customer ids, are not seen)
   */
  quarantined: string[];
  /** legal holds naming one of the recordings, or whose saved search is this number */
  holds: string[];
  /** data-subject requests made with one of these identifiers */
  requests: string[];
}

/**
 * Finds a data subject by number (any spelling; normalised to E.164 as ingest does) and/or
 * customer id, through the keyed token index only. Which calls belong to whom is personal
 * data, so the lookup is an access: `subject.looked-up` (token prefixes, never the number)
 * is durable in the log before anything is read.
 */
export async function findSubject(deps: PrivacyDeps, by: string, ids: SubjectIdentifiers): Promise<SubjectHits> {
  const tokens = tokensOfIdentifiers(deps.keys, normaliseIdentifiers(ids, deps.phone));
  await deps.log.append([{
    actor: by, action: 'subject.looked-up', target: 'subject',
    detail: { identifiers: tokens.map((t) => t.kind), tokens: tokens.map((t) => `${t.kind}:${tokenPrefix(t.token)}`) },
  }]);
  const { store } = deps;
  const recordings = [...new Set(tokens.flatMap((t) => store.recordings.idsByToken(t.kind, t.token)))];
  const mine = new Set(recordings);
  const phone = tokens.find((t) => t.kind === 'phone')?.token;
  const holds = store.holds.list()
    .filter((h) => h.ids.some((id) => mine.has(id)) || (phone !== undefined && h.search?.phoneToken === phone))
    .map((h) => h.id);
  const requests = [...new Set(tokens.flatMap((t) => store.requests.idsByToken(t.kind, t.token)))].sort();
  const quarantined = [...new Set(tokens.flatMap((t) => (t.kind === 'phone' ? store.quarantine.idsByToken('phone', t.token) : [])))];
  return { recordings, quarantined, holds, requests };
}
