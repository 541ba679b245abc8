import type { IndexStore, PersonalFields, TokenRef } from '../store/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { LogWriter } from '../core/types.ts';
import { agentTokenRefs } from '../core/index.ts';

/**
 * `tresor reindex` (issue 15, item 4): gives the calls ingested before agent search by name
 * part existed the entries it needs — a keyed token of each folded part of the agent's
 * name (sealed in the row, so each row's fields are opened) and the tag and purpose
 * entries of the index.
 *
 * Why a command and not a backfill when the site opens: it opens every call's sealed
 * fields, which is a use of personal data and is logged first (DESIGN §1: no decryption
 * without a durable entry); at a million calls it takes minutes, which no service start
 * (and no `tresor status`) should wait for; and the admin runs it once, at a time they
 * choose, sees what it did, and may run it again (it only adds what is missing).
 * The service may keep running: each batch is one LMDB write transaction.
 */
export interface ReindexDeps {
  store: IndexStore;
  keys: Keyring;
  log: LogWriter;
}

export interface ReindexResult {
  recordings: number;
  /** recordings that got name-part tokens they lacked */
  updated: number;
  /** rows without a data key (damage, fsck says more): left as they are */
  unreadable: number;
}

const BATCH = 500;

export async function reindexRecordings(deps: ReindexDeps, actor: string): Promise<ReindexResult> {
  const { store, keys, log } = deps;
  await log.append([{ actor, action: 'index.reindex.started', target: 'recordings', detail: { recordings: store.recordings.count() } }]);
  const r: ReindexResult = { recordings: 0, updated: 0, unreadable: 0 };
  let fromId: string | undefined;
  for (;;) {
    const ids = [...store.recordings.ids({ ...(fromId !== undefined ? { fromId } : {}), limit: BATCH + 1 })].filter((id) => id !== fromId);
    if (!ids.length) break;
    const plan: [string, TokenRef[]][] = [];
    for (const id of ids) {
      const row = store.recordings.get(id);
      if (!row) continue;
      r.recordings++;
      if (!store.keys.has(id)) {
        r.unreadable++;
        continue;
      }
      const p = JSON.parse(keys.openRecording(id).open(row.personal).toString('utf8')) as PersonalFields;
      const want = agentTokenRefs((k, v) => keys.tokenize(k, v), p.agent);
      const missing = want.filter((t) => !row.tokens.some((h) => h.kind === t.kind && h.token === t.token));
      if (missing.length) r.updated++;
      plan.push([id, missing]);
    }
    await store.tx(() => {
      for (const [id, add] of plan) store.recordings.reindex(id, add);
    });
    fromId = ids[ids.length - 1];
    if (ids.length < BATCH) break;
  }
  await log.append([{ actor, action: 'index.reindexed', target: 'recordings', detail: { ...r } }]);
  return r;
}
