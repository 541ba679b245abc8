import type { Policy } from '../core/types.ts';
import { compareDurations, parseDuration } from '../policy/index.ts';
import type { IndexStore } from '../store/index.ts';

/**
 * The facts every transparency text is made of (issue 11 item 8; Art. 13 notice, IVR
 * announcement, Art. 30 record): the organisation's contacts and purposes from the
 * configuration, the retention rules from the policies table (the live ones: the file's
 * policies are synced into it at start, the console adds more). Nothing about a caller.
 */
export interface TransparencyFacts {
  controller: { name: string; address: string; email: string };
  dpo: { name: string; email: string };
  purposes: string[];
  policies: Policy[];
  /** the longest keep of all policies, null when there is none (then calls stay until erased) */
  longestKeep: string | null;
}

export interface TransparencySettings {
  controller: { name: string; address: string; email: string };
  dpo: { name: string; email: string };
  purposes: readonly string[];
}

export function transparencyFacts(settings: TransparencySettings, store: Pick<IndexStore, 'policies'>): TransparencyFacts {
  const policies = store.policies.all()
    .map((p) => ({ name: p.name, match: p.match, keep: p.keep, lock: p.lock }))
    .sort((a, b) => a.name.localeCompare(b.name));
  let longestKeep: string | null = null;
  for (const p of policies) if (longestKeep === null || compareDurations(parseDuration(p.keep), parseDuration(longestKeep)) > 0) longestKeep = p.keep;
  const t = (s: string) => s.trim();
  return {
    controller: { name: t(settings.controller.name), address: t(settings.controller.address), email: t(settings.controller.email) },
    dpo: { name: t(settings.dpo.name), email: t(settings.dpo.email) },
    purposes: settings.purposes.map(t).filter(Boolean),
    policies,
    longestKeep,
  };
}
