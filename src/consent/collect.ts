// The consent step ingest runs before its commit (issue 12): the sidecar's claim becomes
// evidence with method `sidecar`, events that came before the file (POST /api/consent,
// matched by the keyed token of the call id: FreePBX `uniqueid` or sidecar `callId`) are
// taken over, and with `consent.dtmf` set the first grant/deny key press in the consent
// window is recorded with its offset. Advisors (speech analysis, src/speech, handed in at
// wiring: speech sits below consent in DESIGN §2) add advisory evidence after it, which
// never decides the call's state.
import type { Config } from '../config/index.ts';
import type { ConsentEvidence, ConsentState } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { detectDtmf, firstConsentDigit } from '../media/index.ts';
import type { ConsentStep } from '../ingest/types.ts';
import { fromDtmf, fromSidecar, stateOf } from './evidence.ts';
import { pendingContext } from './events.ts';

const DTMF_RATE = 8000;

/** An advisory detector over the consent window (speech analysis); its finding is evidence with `advisory: true`. */
export interface ConsentAdvisor {
  analyse(call: Parameters<ConsentStep['collect']>[0], now: number): Promise<{ evidence: ConsentEvidence | null; note: { action: string; detail: Record<string, unknown> } | null }>;
}

export function consentStep(config: Config, store: IndexStore, keys: Pick<Keyring, 'tokenize' | 'openSecret'>, advisors: readonly ConsentAdvisor[] = []): ConsentStep {
  return {
    async collect(call) {
      const now = Date.now();
      const evidence: ConsentEvidence[] = [];
      if (call.sidecar) evidence.push(fromSidecar(call.sidecar, (call.extra as { consent?: unknown }).consent, now));
      const claimed: unknown[][] = [];
      if (call.callId) {
        const token = keys.tokenize('callId', call.callId);
        const oldest = now - config.consent.pendingHours * 3600_000;
        for (const { key, row } of store.consentPending.forToken(token)) {
          claimed.push(key);
          // an expired event is not evidence for this call (the sweep logs its expiry)
          if (row.receivedAt < oldest) continue;
          evidence.push(JSON.parse(keys.openSecret(pendingContext(token), row.sealed)) as ConsentEvidence);
        }
      }
      const dtmf = config.consent.dtmf;
      if (dtmf) {
        const pcm = await call.window(dtmf.windowSeconds, DTMF_RATE);
        const hit = firstConsentDigit(detectDtmf(pcm, { sampleRate: DTMF_RATE }), dtmf.grant, dtmf.deny);
        if (hit) evidence.push(fromDtmf(hit, call.start, now));
      }
      const notes: { action: string; detail: Record<string, unknown> }[] = [];
      for (const a of advisors) {
        const r = await a.analyse(call, now);
        if (r.evidence) evidence.push({ ...r.evidence, advisory: true });
        if (r.note) notes.push(r.note);
      }
      const decisive = evidence.filter((e) => !e.advisory);
      const state: ConsentState | null = decisive.length ? stateOf(decisive, 'unknown') : null;
      return { evidence, state, notes, claim: () => claimed.forEach((k) => store.consentPending.remove(k)) };
    },
  };
}
