#!/usr/bin/env -S npx tsx
// Prints the SHA-256 of this version's verify.mjs and verify.html (what auditors compare
// their saved copy with). `--readme` writes them into README.md's "Auditors" table, which
// test/audit-verifier-publish.test.ts checks; run it after changing src/audit/verifier/.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verifierDigests } from '../src/audit/index.ts';

const d = verifierDigests();
for (const [name, sha] of Object.entries(d)) process.stdout.write(`${sha}  ${name}\n`);
if (process.argv.includes('--readme')) {
  const p = join(resolve(import.meta.dirname, '..'), 'README.md');
  const s = readFileSync(p, 'utf8')
    .replace(/(\| `verify\.mjs` \| `)[0-9a-f]*(`)/, `$1${d['verify.mjs']}$2`)
    .replace(/(\| `verify\.html` \| `)[0-9a-f]*(`)/, `$1${d['verify.html']}$2`);
  writeFileSync(p, s);
}
