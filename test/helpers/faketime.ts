import { existsSync, writeFileSync } from 'node:fs';

/**
 * The real `tresor` under a wrong wall clock (libfaketime, Debian package `faketime`).
 * The offset is read from a file on every call, so a test can make the clock jump while
 * the process runs; the monotonic clock stays real, as on a box whose RTC or NTP steps.
 */
const LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1'];
export const LIBFAKETIME = LIBS.find((p) => existsSync(p)) ?? null;
export const NO_FAKETIME = LIBFAKETIME ? false : 'needs libfaketime (Debian package faketime; .ci/run installs it)';

/** Environment for a process whose wall clock is shifted by the offset in `offsetFile` ("+3y", "+0"). */
export function fakeClockEnv(offsetFile: string, offset?: string): NodeJS.ProcessEnv {
  if (offset !== undefined) writeFileSync(offsetFile, `${offset}\n`);
  return {
    LD_PRELOAD: LIBFAKETIME!,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
