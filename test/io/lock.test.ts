// Folder locks (issue 15, "Run folders are owned"): one holder at a time, a clear error naming the
// holder, stale locks of dead processes taken over with a message, foreign hosts refused with the way
// out, and locks released however their holder ends.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunFolderError } from '../../toolkit/src/core/errors';
import { LOCK_FILE, lockFolder, readLock } from '../../toolkit/src/io/lock';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-lock-'));
const root = path.resolve(__dirname, '../..');
const writeLock = (dir: string, info: Record<string, unknown>) =>
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ threadId: 0, startedAt: '2024-01-01T00:00:00.000Z', command: 'synapses-ts train', ...info }));

// A live process that is not us, and the id of one that has ended.
const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
afterAll(() => void sleeper.kill('SIGKILL'));
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
};

describe('lockFolder', () => {
  it('creates DIR/.lock naming pid, host and start time, and removes it on release', () => {
    const dir = path.join(tmp(), 'new-run');
    const lock = lockFolder(dir);
    const info = readLock(path.join(dir, LOCK_FILE))!;
    expect(info.pid).toBe(process.pid);
    expect(info.host).toBe(os.hostname());
    expect(Number.isNaN(Date.parse(info.startedAt))).toBe(false);
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lock.release(); // idempotent
  });

  it('refuses a folder held by another live process, naming it, and leaves its lock alone', () => {
    const dir = tmp();
    writeLock(dir, { pid: sleeper.pid, host: os.hostname() });
    const before = fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8');
    expect(() => lockFolder(dir, { what: 'run folder' })).toThrow(RunFolderError);
    expect(() => lockFolder(dir, { what: 'run folder' })).toThrow(new RegExp(`run folder .* is in use by process ${sleeper.pid} on ${os.hostname()}.*synapses-ts train`));
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(before);
  });

  it('refuses a second lock of the same folder in this process until the first is released', () => {
    const dir = tmp();
    const first = lockFolder(dir);
    expect(() => lockFolder(dir)).toThrow(/in use by this process/);
    first.release();
    lockFolder(dir).release();
  });

  it('takes over the stale lock of a dead process on this host, with a message', () => {
    const dir = tmp();
    const pid = deadPid();
    writeLock(dir, { pid, host: os.hostname() });
    const messages: string[] = [];
    const lock = lockFolder(dir, { onMessage: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(new RegExp(`stale lock .* process ${pid} .* no longer running`));
    expect(readLock(path.join(dir, LOCK_FILE))!.pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file that is not a lock (empty or garbage: locks are created whole)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, LOCK_FILE), '');
    lockFolder(dir).release();
  });

  it('refuses a lock from another host (it cannot be checked) and says how to remove it', () => {
    const dir = tmp();
    writeLock(dir, { pid: 1, host: 'some-other-node' });
    expect(() => lockFolder(dir)).toThrow(/locked by process 1 on some-other-node.*cannot be checked from here.*rm .*\.lock/);
  });

  it('release does not remove a lock that someone else has taken over since', () => {
    const dir = tmp();
    const lock = lockFolder(dir);
    writeLock(dir, { pid: sleeper.pid, host: os.hostname() });
    lock.release();
    expect(readLock(path.join(dir, LOCK_FILE))!.pid).toBe(sleeper.pid);
  });

  it('is released when its process exits without releasing it (process.exit from anywhere)', () => {
    const dir = tmp();
    const lib = path.join(root, 'toolkit/dist/io/lock.js');
    const script = `require(${JSON.stringify(lib)}).lockFolder(${JSON.stringify(dir)}); if (!require('fs').existsSync(${JSON.stringify(path.join(dir, LOCK_FILE))})) process.exit(9); process.exit(3)`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  }, 30_000);
});
