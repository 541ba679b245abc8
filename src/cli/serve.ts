import { installFaultPolicy, startService } from '../service.ts';
import { parse, type Command } from './args.ts';

// Its own file: only `tresor serve` loads the service and the web console (table.ts imports
// command files on demand, so `tresor status` starts without them).
export const serveCmd: Command = async (args, { config, io }) => {
  parse(args, {});
  // Listen for the stop signal before starting: systemd (or an impatient admin) may send
  // SIGTERM while recovery still runs, and the default action would kill us mid-start.
  let signalled: (sig: string) => void = () => {};
  const stopRequested = new Promise<string>((r) => (signalled = r));
  process.once('SIGTERM', () => signalled('SIGTERM'));
  process.once('SIGINT', () => signalled('SIGINT'));
  // Under `npm start` (package.json execs us, so npm is our parent and forwards SIGTERM and
  // SIGINT) a SIGKILLed npm cannot forward anything: we would run on, orphaned, holding the
  // archive and the port. When the parent is gone (we were re-parented), stop as if told to.
  if (process.env.npm_lifecycle_event === 'start') {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && signalled('parent npm gone'), 500).unref();
  }
  const faults = installFaultPolicy(io.err);
  const svc = await startService(config, io.err);
  faults.attach(svc.site.log);
  const sig = await stopRequested;
  io.err(`tresor: ${sig}: finishing files in progress, then stopping`);
  try {
    await svc.stop();
  } catch (e) {
    io.err(`tresor: error while stopping: ${(e as Error).message}`);
    return 1;
  }
  return 0;
};
