/**
 * When a snapshot comes due (more than snapCount/2 + a random share of it txns since the last roll), the
 * server rolls the log and starts the count over, as Apache's SyncRequestProcessor does; if the last
 * snapshot is still being written it skips this one ("Too busy to snap, skipping") rather than starting it
 * once that one ends.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RawClient } from '../../src/client/rawClient';
import { TestingServer } from '../../src/testingServer';
import { destroyAll, rawConnect, rawCreate } from './helpers';

function logFiles(dataDir: string): string[] {
  return fs
    .readdirSync(path.join(dataDir, 'version-2'))
    .filter((n) => n.startsWith('log.'))
    .sort((a, b) => parseInt(a.slice(4), 16) - parseInt(b.slice(4), 16));
}

test('a snapshot due while one is being written is skipped; the log is rolled either way', async () => {
  // randRoll 0: with snapCount 4 a snapshot is due at the third txn after a roll.
  const random = jest.spyOn(Math, 'random').mockReturnValue(0);
  const warnings: string[] = [];
  const log = { error() {}, info() {}, debug() {}, warn: (m: string) => void warnings.push(m) };
  const raws: RawClient[] = [];
  let ts: TestingServer | undefined;
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  try {
    ts = await TestingServer.start({ config: { snapCount: 4 }, log });
    const snapshot = jest.spyOn(ts.server, 'takeSnapshot').mockImplementation(() => gate.then(() => null));
    // txn 1 creates the session; every create is a group of its own.
    const c = await rawConnect(raws, { port: ts.port });
    let seq = 0;
    const create = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) expect((await rawCreate(c, `/n${seq++}`)).err).toBe(0);
    };
    await create(2); // txn 3: roll, snapshot started (held at the gate)
    expect(snapshot).toHaveBeenCalledTimes(1);
    await create(6); // txns 6 and 9: rolled, snapshot skipped
    expect(snapshot).toHaveBeenCalledTimes(1);
    expect(warnings.filter((w) => w === 'Too busy to snap, skipping')).toHaveLength(2);
    release();
    await gate;
    await new Promise((r) => setImmediate(r));
    await create(3); // txn 12: rolled, snapshot started; txn 13 opens the new file
    await create(1);
    expect(snapshot).toHaveBeenCalledTimes(2);
    expect(warnings.filter((w) => w === 'Too busy to snap, skipping')).toHaveLength(2);
    // A log file for each roll, named after the txn that followed it.
    expect(logFiles(ts.dataDir)).toEqual(['log.1', 'log.4', 'log.7', 'log.a', 'log.d']);
  } finally {
    random.mockRestore();
    release(); // stop() waits for the snapshot in progress
    destroyAll(raws);
    await ts?.stop();
  }
});
