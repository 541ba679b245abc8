import { readFileSync, writeFileSync } from 'node:fs';
import { TresorError } from '../core/errors.ts';
import { loadOrCreateWitnessKey } from '../crypto/witness-key.ts';
import { openWitnessState } from '../audit/witness/state.ts';
import { createWitness } from '../audit/witness/witness.ts';
import { createWitnessServer } from '../audit/witness/server.ts';
import { parse, type Command } from './args.ts';

/**
 * `tresor witness serve --key FILE --state DIR --port P [--host H] [--name N] --log-vkey VKEY…`
 * `tresor witness vkey --key FILE [--name N]`
 * `tresor witness sign REQUEST_FILE --key FILE --state DIR --log-vkey VKEY… [--out FILE]`
 *
 * A C2SP tlog-witness that needs no archive: its own key, its own state folder, and the
 * vkeys of the logs it witnesses (a value or a file holding the line). `sign` is the air
 * gap: a request file carried over (`tresor audit cosign-request`) is judged exactly as
 * `POST /add-checkpoint` would be, and the cosigned checkpoint goes back on the same stick
 * (`tresor audit cosign-import`).
 */
const USAGE = 'usage: tresor witness serve --key FILE --state DIR --port P [--host H] [--name N] --log-vkey VKEY… | witness vkey --key FILE [--name N] | witness sign REQUEST_FILE --key FILE --state DIR --log-vkey VKEY… [--out FILE]';

const vkeyArg = (v: string): string => (/^[^+\s]+\+[0-9a-f]{8}\+/.test(v) ? v : readFileSync(v, 'utf8').trim());

export const witnessCmd: Command = async (args, { io }) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    key: { type: 'string' }, state: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
    name: { type: 'string' }, 'log-vkey': { type: 'string', multiple: true }, out: { type: 'string' },
  });
  if (!values.key) throw new TresorError('E_USAGE', `witness ${sub ?? ''}: --key FILE is required\n${USAGE}`);
  if (sub === 'vkey' && positionals.length === 0) {
    io.out(loadOrCreateWitnessKey(values.key, values.name).cosigner.vkey);
    return 0;
  }
  if (sub !== 'serve' && sub !== 'sign') throw new TresorError('E_USAGE', USAGE);
  if (!values.state) throw new TresorError('E_USAGE', `witness ${sub}: --state DIR is required`);
  const logs = (values['log-vkey'] ?? []).map(vkeyArg);
  if (logs.length === 0) throw new TresorError('E_USAGE', `witness ${sub}: name the logs it witnesses with --log-vkey`);
  const { cosigner, created } = loadOrCreateWitnessKey(values.key, values.name);
  const state = openWitnessState(values.state);
  const witness = createWitness({ cosigner, logs, state });

  if (sub === 'sign') {
    try {
      if (positionals.length !== 1) throw new TresorError('E_USAGE', `witness sign: name one REQUEST_FILE\n${USAGE}`);
      const request = readFileSync(positionals[0]!, 'utf8');
      const r = await witness.addCheckpoint(request);
      if (r.status !== 200) {
        io.err(`witness sign: refused (${r.status}): ${r.body.trim()}`);
        return 1;
      }
      // The cosigned checkpoint: the log's note followed by this witness's line.
      const note = request.slice(request.indexOf('\n\n') + 2);
      const out = note + r.body;
      if (values.out) writeFileSync(values.out, out, { mode: 0o644 });
      else io.out(out.replace(/\n$/, ''));
      return 0;
    } finally {
      state.close();
    }
  }

  if (!values.port || !/^[0-9]+$/.test(values.port)) throw new TresorError('E_USAGE', 'witness serve: --port P is required');
  const server = createWitnessServer(witness);
  const host = values.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new TresorError('E_CONFIG', `witness: cannot listen on ${host}:${values.port}: ${(e as Error).message}`)));
    server.listen(Number(values.port), host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : Number(values.port);
  if (created) io.err(`witness: created key ${values.key}`);
  // First line on stdout: the vkey, for the box's log.witnesses (and scripts that start us).
  io.out(cosigner.vkey);
  io.err(`witness: listening on http://${host}:${port}/add-checkpoint for ${logs.length} log(s)`);
  const sig = await new Promise<string>((r) => {
    process.once('SIGTERM', () => r('SIGTERM'));
    process.once('SIGINT', () => r('SIGINT'));
  });
  io.err(`witness: ${sig}: stopping`);
  await new Promise<void>((r) => server.close(() => r()));
  state.close();
  return 0;
};
