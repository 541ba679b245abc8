import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Assembles the verifiers: one shared check (core.js) inlined into a node script and into
 * a single offline HTML page, so both judge an export the same way. The output depends on
 * nothing but these source files, so a version of Tresor has exactly one verify.mjs and
 * one verify.html, and their SHA-256 can be published, printed in every export's README
 * and compared by the auditor with the copy they keep.
 */
const source = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

const HEADER = `// Tresor audit export verifier; no dependencies. Keep your own copy and reuse it.
// Run: node verify.mjs EXPORT_DIR [--checkpoint YOUR_CHECKPOINT] [--vkey YOUR_LOG_VKEY] [--policy YOUR_WITNESS_POLICY]
`;

export function buildVerifyMjs(): string {
  const main = source('node-main.js');
  // ES module imports must come first; the shared core goes where the marker is, after them.
  if (!main.includes('/*@@CORE@@*/')) throw new Error('node-main.js has no /*@@CORE@@*/ marker');
  return `${HEADER}${main.replace('/*@@CORE@@*/', () => source('core.js').replace("'use strict';\n", ''))}`;
}

/**
 * The shared check as plain script text (without 'use strict'), for another verifier that
 * inlines it at its CORE marker (as node-main.js has it): the evidence bundle's verify-bundle.mjs
 * checks witness cosignatures with the very code and policy format verify.mjs uses.
 */
export function inlineVerifierCore(host: string, what: string): string {
  if (!host.includes('/*@@CORE@@*/')) throw new Error(`${what} has no /*@@CORE@@*/ marker`);
  return host.replace('/*@@CORE@@*/', () => source('core.js').replace("'use strict';\n", ''));
}

export function buildVerifyHtml(): string {
  const core = source('core.js');
  const ed = source('ed25519.js');
  if (/<\/script/i.test(core + ed)) throw new Error('verifier source must not contain a closing script tag');
  return source('page.html').replace('/*@@CORE@@*/', () => core).replace('/*@@ED25519@@*/', () => ed);
}

export const VERIFIER_FILES = ['verify.mjs', 'verify.html'] as const;
export type VerifierFile = (typeof VERIFIER_FILES)[number];

let built: Record<VerifierFile, string> | null = null;
/** The two verifier files of this version, built once. */
export function verifierFiles(): Record<VerifierFile, string> {
  built ??= { 'verify.mjs': buildVerifyMjs(), 'verify.html': buildVerifyHtml() };
  return built;
}

/**
 * Lowercase hex SHA-256 of each verifier file: what README.txt of every export, the
 * console's verifier section, `tresor audit verifier` and the hand-out checkpoint sheet print,
 * and what the auditor compares with the copy they saved.
 */
export function verifierDigests(): Record<VerifierFile, string> {
  const files = verifierFiles();
  return {
    'verify.mjs': createHash('sha256').update(files['verify.mjs']).digest('hex'),
    'verify.html': createHash('sha256').update(files['verify.html']).digest('hex'),
  };
}
