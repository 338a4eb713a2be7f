/** FileWindow: the reader both the txn log and the snapshot loader go through. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Adler32, adler32 } from '../../src/persistence/adler32';
import { CorruptDataError } from '../../src/persistence/corruptDataError';
import { FileWindow } from '../../src/persistence/fileWindow';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-window-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a file that shrinks while it is read is corrupt data naming the file, like any other damage', () => {
  const file = path.join(dir, 'log.1');
  fs.writeFileSync(file, Buffer.alloc(64, 7));
  const w = new FileWindow(file, false);
  try {
    fs.truncateSync(file, 10);
    expect(() => w.ensure(0, 32)).toThrow(CorruptDataError);
    expect(() => w.ensure(0, 32)).toThrow(file);
  } finally {
    w.close();
  }
});

test('the running checksum of a reused window equals the checksum of the bytes read', () => {
  const file = path.join(dir, 'snapshot.1');
  const bytes = Buffer.from(Array.from({ length: 9 << 20 }, (_, i) => (i * 31) & 0xff));
  fs.writeFileSync(file, bytes);
  const w = new FileWindow(file, true, new Adler32());
  try {
    for (let at = 0; at + 1000 <= bytes.length; at += 1000) expect(w.ensure(at, at + 1000)).toBe(true);
    expect(w.ensure(bytes.length - 5, bytes.length + 1)).toBe(false);
    expect(w.checksumTo(bytes.length - 5)).toBe(adler32(bytes, 0, bytes.length - 5));
  } finally {
    w.close();
  }
});
