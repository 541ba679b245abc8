import { spawn } from 'node:child_process';
import { envFor, configFile, TRESOR } from './site.ts';
import type { Config } from '../../src/config/index.ts';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `tresor ARGS` as a child (async: safe beside an in-process site), optionally with extra environment. */
export function tresor(c: Config, args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRESOR, args, { env: { ...envFor(c, configFile(c)), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
