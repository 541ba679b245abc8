// An agent's name → the folded parts the index keeps keyed tokens of (issue 15, item 4),
// so that a supervisor finds "Anna Müller" by typing "anna", "müller", "Muller" or
// "MUELLER", while the index holds no name: only HMAC tokens of these parts (the way
// numbers are tokenised). Names are personal data of the agent (GDPR Art. 4(1)).

/** A name has at most this many parts indexed (a sidecar's agent may be any text). */
export const MAX_NAME_PARTS = 8;
/** Longer parts are no name; they are not indexed. */
const MAX_PART_CHARS = 64;

/** Letters without a decomposition that people type plain (ß → ss, ø → o …). */
const PLAIN: Record<string, string> = { 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i' };
/** German transliteration (DIN 5007-2): "Müller" is also written "Mueller". */
const GERMAN: Record<string, string> = { 'ä': 'ae', 'ö': 'oe', 'ü': 'ue' };

function strip(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '');
}

function plain(s: string): string {
  return s.replace(/[ßæœøłđðþı]/g, (c) => PLAIN[c] ?? c);
}

/** The words of a name: lower case, NFC, split on anything that is not a letter or digit. */
function words(name: string): string[] {
  if (typeof name !== 'string') return [];
  return name.normalize('NFC').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '' && w.length <= MAX_PART_CHARS);
}

/** What a searched part is folded to: case and diacritics gone ("Müller", "MULLER" → "muller"). */
function fold(word: string): string {
  return strip(plain(word));
}

/**
 * The forms each part of a stored name is indexed under: the folded form ("muller") and,
 * where it differs, the German transliteration ("mueller"). A search folds what was typed
 * the one way (queryNameParts), so "Müller", "muller" and "MUELLER" all meet one of them.
 */
export function indexNameParts(name: string): string[] {
  const out = new Set<string>();
  for (const w of words(name).slice(0, MAX_NAME_PARTS)) {
    const f = fold(w);
    if (f) out.add(f);
    const g = strip(plain(w.replace(/[äöü]/g, (c) => GERMAN[c] ?? c)));
    if (g) out.add(g);
  }
  return [...out];
}

/** The folded parts of what a user typed; every one must match (AND): "anna müller". */
export function queryNameParts(typed: string): string[] {
  return [...new Set(words(typed).slice(0, MAX_NAME_PARTS).map(fold).filter((w) => w !== ''))];
}

/**
 * The keyed tokens of an agent's name: the whole name (`agent`, as holds by agent saved
 * it before issue 15) and each folded part (`agentName`). Ingest, rectification and the
 * reindex all use this one function, so a name is found the same way whichever wrote it.
 */
export function agentTokenRefs(tokenize: (kind: string, value: string) => string, agent: string | null | undefined): { kind: 'agent' | 'agentName'; token: string }[] {
  if (!agent || !agent.trim()) return [];
  return [
    { kind: 'agent', token: tokenize('agent', agent.trim().toLowerCase()) },
    ...indexNameParts(agent).map((p) => ({ kind: 'agentName' as const, token: tokenize('agentName', p) })),
  ];
}
