import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockHoldersIn, processAlive, processStartTime } from '../src/core/index.ts';

/** glibc's makedev: how a stat() dev packs major and minor (so /proc/locks's hex pair must be split back). */
const makedev = (major: bigint, minor: bigint) =>
  ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);

test('proc_lockHoldersIn_names_each_process_locking_that_file_once_and_no_other', () => {
  const dev = makedev(259n, 0x10003n); // a minor above 255 uses the high bits of dev_t
  const table = [
    '1: POSIX  ADVISORY  READ 14986 103:10003:2188444 0 0',
    '2: POSIX  ADVISORY  WRITE 14986 103:10003:2188444 1 1', // a second lock, same process
    '3: POSIX  ADVISORY  READ 2001 103:10003:2188444 0 0',
    '3: -> POSIX  ADVISORY  WRITE 777 103:10003:2188444 0 0', // blocked waiter: holds it as soon as it can
    '4: POSIX  ADVISORY  READ 3003 103:10003:2188445 0 0', // another inode
    '5: POSIX  ADVISORY  READ 4004 fe:00:2188444 0 0', // another device, same inode number
    '6: FLOCK  ADVISORY  WRITE 5005 103:10003:2188444 0 EOF',
    'garbage line',
    '',
  ].join('\n');
  assert.deepEqual(lockHoldersIn(table, dev, 2188444n), [777, 2001, 5005, 14986]);
  assert.deepEqual(lockHoldersIn(table, makedev(254n, 0n), 2188444n), [4004]);
  assert.deepEqual(lockHoldersIn('', dev, 2188444n), []);
});

test('proc_processAlive_needs_pid_and_start_time_to_match', () => {
  const mine = processStartTime(process.pid);
  assert.match(mine ?? '', /^\d+$/);
  assert.equal(processAlive(process.pid, mine), true);
  assert.equal(processAlive(process.pid, null), true, 'no start time recorded: the pid alone decides');
  assert.equal(processAlive(process.pid, `${mine}1`), false, 'the pid was reused by another process');
  assert.equal(processAlive(0, null), false);
  assert.equal(processStartTime(2 ** 22 + 1), null, 'above pid_max: no such process');
});
