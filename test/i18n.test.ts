// The console's labels (views/i18n.ts, views/labels/): every table complete in German and
// English, nothing falling back to English, and the keys that pages build from data
// (approval kinds, states, facts, counts; directions, consent) all present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { allLabels, defineLabels, LANGS, type Labels } from '../views/i18n.ts';
import { approvalsLabels } from '../views/labels/approvals.ts';
import { common, translator } from '../views/labels/common.ts';
import { actionLabel, actionLabels } from '../views/labels/actions.ts';
import { germanMessage, messageCatalog } from '../views/messages.ts';
import { approvalsPage } from '../views/approvals.ts';
import { approvalRegistry } from '../src/site/approvals.ts';
import { ROLE_GRANT_KIND } from '../src/auth/index.ts';
import type { ApprovalOutcome } from '../src/approvals/index.ts';
import type { ApprovalRow, ApprovalState } from '../src/store/index.ts';
import type { ConsentState, Direction } from '../src/core/types.ts';

const LABELS_DIR = new URL('../views/labels/', import.meta.url);
const VIEWS_DIR = new URL('../views/', import.meta.url);
const labelFiles = readdirSync(LABELS_DIR).filter((f) => f.endsWith('.ts'));
for (const f of labelFiles) await import(new URL(f, LABELS_DIR).href);
/** the console's tables (the broken ones made below on purpose come later) */
const tables = [...allLabels()];

/** Everything wrong with one table: keys missing in a language, empty labels, placeholders that differ. */
function problemsOf(l: Labels<string>): string[] {
  const out: string[] = [];
  const keys = (lang: 'de' | 'en') => Object.keys(l.tables[lang]).sort();
  for (const lang of LANGS) {
    for (const k of keys(lang === 'de' ? 'en' : 'de')) if (!(k in l.tables[lang])) out.push(`${l.name}: no ${lang} label "${k}"`);
  }
  const slots = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const k of keys('en')) {
    const en = (l.tables.en as Record<string, unknown>)[k];
    const de = (l.tables.de as Record<string, unknown>)[k];
    for (const [lang, s] of [['en', en], ['de', de]] as const) {
      if (s !== undefined && (typeof s !== 'string' || s.trim() === '')) out.push(`${l.name}: empty ${lang} label "${k}"`);
    }
    if (typeof en === 'string' && typeof de === 'string' && slots(en) !== slots(de)) {
      out.push(`${l.name}: "${k}" has {${slots(en)}} in English but {${slots(de)}} in German`);
    }
  }
  return out;
}

test('i18n_every_label_table_has_every_key_in_german_and_english_with_the_same_placeholders', (t) => {
  const names = tables.map((l) => l.name);
  t.diagnostic(`${tables.length} label tables, ${tables.reduce((n, l) => n + Object.keys(l.tables.en).length, 0)} keys: ${names.join(', ')}`);
  assert.equal(new Set(names).size, names.length, 'table names are unique');
  assert.ok(tables.length >= labelFiles.length, 'every file in views/labels/ defines a table');
  assert.deepEqual(tables.flatMap(problemsOf), []);
});

test('i18n_the_check_finds_a_missing_german_label_an_empty_one_and_a_lost_placeholder', () => {
  const broken = defineLabels('broken-on-purpose', {
    en: { a: 'A', b: 'B {n}', c: 'C' },
    de: { a: 'A', b: 'B' } as unknown as Record<'a' | 'b' | 'c', string>,
  });
  const emptyOne = defineLabels('empty-on-purpose', { en: { a: 'A' }, de: { a: ' ' } });
  assert.deepEqual(problemsOf(broken as unknown as Labels<string>), [
    'broken-on-purpose: no de label "c"',
    'broken-on-purpose: "b" has {n} in English but {} in German',
  ]);
  assert.deepEqual(problemsOf(emptyOne as unknown as Labels<string>), ['empty-on-purpose: empty de label "a"']);
  // and a page asking for it gets an error, not the English word
  assert.equal(broken.get('en', 'c'), 'C');
  assert.throws(() => broken.get('de', 'c'), /no de label "c"/);
});

test('i18n_no_page_file_keeps_its_own_label_table', () => {
  const pages = readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.ts') && f !== 'i18n.ts');
  const own = pages.filter((f) => /defineLabels\(|^\s*(de|en): \{|\b(de|en) = \{/m.test(readFileSync(new URL(f, VIEWS_DIR), 'utf8')));
  assert.deepEqual(own, [], 'labels live in views/labels/');
});

test('i18n_labels_built_from_data_exist_for_every_value', () => {
  // Records over the types: a new state, outcome, direction or consent value does not
  // compile until it is listed here, and then fails here until it has its labels.
  const states: Record<ApprovalState, 0> = { pending: 0, approved: 0, rejected: 0, expired: 0, done: 0 };
  const outcomes: Record<ApprovalOutcome['outcome'], 0> = { done: 0, partial: 0, nothing: 0 };
  const directions: Record<Direction, 0> = { in: 0, out: 0, internal: 0, unknown: 0 };
  const consents: Record<ConsentState, 0> = { granted: 0, denied: 0, unknown: 0 };
  const kinds = approvalRegistry({} as never, { dataDir: '/nowhere' }).kinds();
  // The facts and counts an approval reports are plain strings in their owners' code:
  // read them from there (`{ label: 'x', value … }`, `counts: { x: … }`).
  const owners = ['src/approvals/registry.ts', 'src/retention/deletion.ts', 'src/retention/policy-change.ts', 'src/ingest/quarantine-discard.ts', 'src/auth/role-grants.ts', 'src/privacy/erasure.ts', 'src/privacy/bundle.ts', 'src/speech/works-council.ts'];
  const facts = new Set<string>();
  const counts = new Set<string>();
  for (const f of owners) {
    const src = readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');
    for (const m of src.matchAll(/\{ label: '(\w+)', value/g)) facts.add(m[1]!);
    for (const m of src.matchAll(/counts: \{([^}]*)\}/g)) for (const k of m[1]!.matchAll(/(\w+):/g)) counts.add(k[1]!);
  }
  assert.ok(facts.size >= 10 && counts.size >= 4, `found ${facts.size} fact labels and ${counts.size} counts`);
  const want = [
    ...kinds.map((k) => `kind.${k}`), ...Object.keys(states).map((s) => `state.${s}`), ...Object.keys(outcomes).map((o) => `outcome.${o}`),
    ...[...facts].map((f) => `fact.${f}`), ...[...counts].map((c) => `count.${c}`),
  ];
  assert.deepEqual(want.filter((k) => !approvalsLabels.has(k)), [], 'approvals');
  const commonKeys = [...Object.keys(directions).map((d) => `dir.${d}`), ...Object.keys(consents).map((c) => `consent.${c}`)];
  assert.deepEqual(commonKeys.filter((k) => !common.has(k)), [], 'common');
});

test('i18n_a_role_grant_request_reads_in_german_on_the_approvals_page', async () => {
  const registry = approvalRegistry({} as never, { dataDir: '/nowhere' });
  const row: ApprovalRow = {
    id: 'a1', kind: ROLE_GRANT_KIND, target: 'user:anna', requestedBy: 'user:admin', requester: 'admin', requestedAt: Date.UTC(2026, 10, 27),
    expiresAt: Date.UTC(2026, 11, 4), reason: 'Qualitätssicherung', payload: { user: 'anna', roles: ['supervisor'] }, beneficiaries: ['anna'],
    state: 'pending',
  };
  const preview = registry.describe(row, { roles: ['dpo'], name: 'dora' } as never);
  const page = String(await approvalsPage(
    { t: translator('de'), lang: 'de', principal: { name: 'dora', roles: ['dpo'] }, may: () => true, csrf: 'x', path: '/approvals' },
    { pending: [{ row, preview }], approvedNotDone: [], mine: [], decidedByMe: [], canDecide: true, me: { actor: 'user:dora', name: 'dora' } },
  ));
  assert.match(page, /Rollen mit personenbezogenen Daten vergeben/);
  assert.doesNotMatch(page, /fact\.|kind\.|state\./, 'no raw label keys on the page');
});

/**
 * Every action the source writes into the log, as a literal: `action: 'x.y'`, `action = 'x.y'`,
 * both sides of `action: cond ? 'x.y' : 'x.z'`, and the `request.${outcome}` / `alert.${event}`
 * families spelled out. Read from the source text, so a new action without words fails here.
 */
function actionsInSource(): string[] {
  const found = new Set<string>(['request.answered', 'request.refused', 'alert.raised', 'alert.cleared', 'alert.acknowledged']);
  const walk = (dir: URL): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith('.ts')) {
        const src = readFileSync(new URL(e.name, dir), 'utf8');
        for (const m of src.matchAll(/\baction\??(?:\s*:\s*[A-Z]\w*)?\s*[:=]\s*((?:[^,;{}\n]*?\?\s*)?'[a-z][a-z-]*(?:\.[a-z-]+)+'(?:\s*:\s*'[a-z][a-z-]*(?:\.[a-z-]+)+')?)/g)) {
          for (const q of m[1]!.matchAll(/'([a-z][a-z-]*(?:\.[a-z-]+)+)'/g)) found.add(q[1]!);
        }
        // a union type of actions (AudioAction: played, downloaded, exported)
        for (const m of src.matchAll(/type \w*Action = ([^;]+);/g)) for (const q of m[1]!.matchAll(/'([a-z][a-z-]*(?:\.[a-z-]+)+)'/g)) found.add(q[1]!);
      }
    }
  };
  walk(new URL('../src/', import.meta.url));
  return [...found].sort();
}

test('i18n_every_logged_action_has_words_in_german_and_english', () => {
  const actions = actionsInSource();
  assert.ok(actions.length > 60, `found only ${actions.length} actions: the scan is broken`);
  assert.ok(actions.includes('recording.played') && actions.includes('retention.policy.removed'), 'the scan misses known actions');
  const missing = actions.filter((a) => !actionLabels.has(a));
  assert.deepEqual(missing, [], `actions without words in views/labels/actions.ts: ${missing.join(', ')}`);
  assert.equal(actionLabel('de', 'recording.played'), 'Aufnahme angehört');
  assert.equal(actionLabel('en', 'some.future-action'), 'some.future-action');
});

/**
 * The refusals a console user can meet, read from the source: each `new TresorError('E_…', msg)`
 * in the modules behind the console's pages, with every `${…}` (and a `+ …` continuation)
 * standing for some value. Left out: the JSON API (English for tools), defects and operator
 * errors (a 500 shows only its heading), and messages only the CLI prints.
 */
const CONSOLE_SOURCES = ['web', 'auth', 'access', 'approvals', 'retention', 'policy', 'privacy', 'ingest', 'speech', 'consent'];
// the JSON API, and what only the CLI does (evidence bundles, speech models, works-council switches)
const API_ONLY = /\/(api|privacy-api|consent-api|approvals-api|log-api|rights-api|speech-api)\.ts$|\/privacy\/bundle\.ts$|\/speech\/(models|works-council)\.ts$/;
const NOT_SHOWN = new Set(['E_INTERNAL', 'E_CONFIG', 'E_IO', 'E_KEYS_MISSING', 'E_KEYS_INVALID', 'E_CRYPTO', 'E_INTEGRITY', 'E_INDEX_DAMAGED', 'E_LOG_INCONSISTENT', 'E_READBACK_MISMATCH', 'E_ROTATION_UNFINISHED', 'E_NO_ARCHIVE', 'E_NEEDS_EXCLUSIVE', 'E_USAGE', 'E_READ_ONLY', 'E_FFMPEG_MISSING', 'E_FFMPEG_TIMEOUT', 'E_EXISTS_DIR']);

/** The message of one `new TresorError(code, <here>`: a quoted or template literal, values as "X". */
function literalAt(src: string, i: number): string | null {
  const q = src[i];
  if (q === "'") {
    const end = src.indexOf("'", i + 1);
    return src.slice(i + 1, end).replace(/\\'/g, "'");
  }
  if (q !== '`') return null;
  let out = '';
  let j = i + 1;
  while (j < src.length && src[j] !== '`') {
    if (src[j] === '\\') { out += src[j + 1]; j += 2; continue; }
    if (src[j] === '$' && src[j + 1] === '{') {
      let depth = 1;
      j += 2;
      while (depth > 0) {
        if (src[j] === '{') depth++;
        else if (src[j] === '}') depth--;
        else if (src[j] === '`') { j++; while (src[j] !== '`') j++; }
        j++;
      }
      out += 'X';
      continue;
    }
    out += src[j++];
  }
  if (/^\s*\+/.test(src.slice(j + 1))) out += 'X';
  return out;
}

function consoleRefusals(): { file: string; code: string; message: string }[] {
  const out: { file: string; code: string; message: string }[] = [];
  for (const mod of CONSOLE_SOURCES) {
    const walk = (dir: URL, rel: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) { walk(new URL(`${e.name}/`, dir), `${rel}/${e.name}`); continue; }
        const file = `${rel}/${e.name}`;
        if (!e.name.endsWith('.ts') || API_ONLY.test(file)) continue;
        const src = readFileSync(new URL(e.name, dir), 'utf8');
        for (const m of src.matchAll(/new (?:TresorError|TE)\(\s*'(E_[A-Z_]+)',\s*/g)) {
          if (NOT_SHOWN.has(m[1]!)) continue;
          const message = literalAt(src, m.index! + m[0].length);
          if (message !== null) out.push({ file, code: m[1]!, message });
        }
      }
    };
    walk(new URL(`../src/${mod}/`, import.meta.url), `src/${mod}`);
  }
  return out;
}

test('i18n_every_refusal_the_console_shows_has_german_words', () => {
  const all = consoleRefusals();
  assert.ok(all.length > 100, `found only ${all.length} refusals: the scan is broken`);
  const missing = all.filter((r) => germanMessage(r.message) === null).map((r) => `${r.file} ${r.code}: ${r.message}`);
  assert.deepEqual(missing, [], `refusals without German words in views/messages.ts:\n${missing.join('\n')}`);
});

test('i18n_message_catalog_keeps_the_same_values_in_both_languages', () => {
  for (const [en, de] of messageCatalog) {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(de), names(en), `"${en}" and its German text name different values`);
  }
  assert.equal(germanMessage('your roles (admin) do not include log.read'), 'Ihre Rollen (admin) umfassen diese Berechtigung nicht: log.read');
  assert.equal(germanMessage('a message nobody wrote German for'), null);
});
