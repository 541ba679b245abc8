import { runCli } from './cli/main.ts';

// `tresor list | head -1`: head exits, the next write to stdout fails with EPIPE (node
// ignores SIGPIPE), and an unhandled 'error' event would end the command with a stack
// trace. Nobody reads any more: drop further output, let the command finish what it was
// doing (an ingest must not stop half-way because its reader left), and exit as usual.
let stdoutGone = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE' || stdoutGone) stdoutGone = true;
  else throw e;
});
const out = (s: string): void => {
  if (!stdoutGone && !process.stdout.destroyed) process.stdout.write(s + '\n');
};

// Entry point of scripts/tresor and `npm start`. `serve` keeps the process alive itself.
const code = await runCli(process.argv.slice(2), { out, err: (s) => process.stderr.write(s + '\n') });
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
