// The console's one way to say a label in the user's language. Every page's labels are a
// table in views/labels/, made with `defineLabels`: English first (its keys are the key
// list), German with exactly the same keys. A German table that misses a key does not
// compile, and test/i18n.test.ts checks every table at run time too (same keys, no empty
// label, the same {placeholders} in both). Nothing falls back to English: a German user
// who meets an English word on a German page has found a bug, and the test finds it first.

/** German first: most of our sites are in DACH. */
export type Lang = 'de' | 'en';
export const LANGS: readonly Lang[] = ['de', 'en'];

export type Vars = Record<string, string | number>;

/** A label bound to one language, as pages call it: `t('title')`, `t('calls', { n: 3 })`. */
export type Translate<K extends string> = (key: K, vars?: Vars) => string;

export interface Labels<K extends string> {
  /** the table's name (its file in views/labels/), for test messages */
  readonly name: string;
  readonly tables: Readonly<Record<Lang, Readonly<Record<K, string>>>>;
  /** the label in `lang` with its `{name}` placeholders filled */
  get(lang: Lang, key: K, vars?: Vars): string;
  /** `get` bound to one language */
  for(lang: Lang): Translate<K>;
  /** keys built from data (`kind.${row.kind}`): whether this table has a label for it */
  has(key: string): key is K;
}

/** A label with its `{name}` placeholders filled in. */
export function fill(template: string, vars: Vars = {}): string {
  let s = template;
  // a function, so that a "$&" in a value is not read as a replacement pattern
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, () => String(v));
  return s;
}

const registry: Labels<string>[] = [];

/** Every table made so far (the i18n test imports all of views/labels/ first). */
export function allLabels(): readonly Labels<string>[] {
  return registry;
}

export function defineLabels<const K extends string>(
  name: string,
  tables: { readonly en: Readonly<Record<K, string>>; readonly de: Readonly<Record<NoInfer<K>, string>> },
): Labels<K> {
  const get = (lang: Lang, key: K, vars?: Vars): string => {
    const s = tables[lang][key];
    // Only reachable through a cast: the types make every key exist in both languages.
    if (typeof s !== 'string') throw new Error(`labels ${name}: no ${lang} label "${key}"`);
    return fill(s, vars);
  };
  const labels: Labels<K> = {
    name,
    tables,
    get,
    for: (lang) => (key, vars) => get(lang, key, vars),
    has: (key): key is K => Object.hasOwn(tables.en, key),
  };
  registry.push(labels as unknown as Labels<string>);
  return labels;
}
