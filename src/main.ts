import { runCli } from './cli/main.ts';

// Entry point of scripts/tresor and `npm start`. `serve` keeps the process alive itself.
const code = await runCli(process.argv.slice(2));
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
