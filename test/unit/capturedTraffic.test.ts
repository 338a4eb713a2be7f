/**
 * Byte vectors captured from real Apache ZooKeeper 3.8 traffic (test/fixtures/apache-3.8, recorded
 * between the Java client / kazoo / the C client and an Apache 3.8 server): every frame decodes with
 * zkts's records and encodes back to exactly the same bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../../src/jute/reader';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { FieldType } from '../../src/jute/schema';
import { OpCode, Xid } from '../../src/protocol/opCodes';
import { readMultiOps } from '../../src/server/requestRecords';

interface Frame {
  dir: 'c2s' | 's2c';
  hex: string;
  conn?: number;
  partial?: boolean;
}

const dir = path.join(__dirname, '../fixtures/apache-3.8');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

/** Request body record by opcode (what the server reads after the RequestHeader). */
function requestRecord(type: number): FieldType<any> | null {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return R.CreateRequest;
    case OpCode.createTTL:
      return R.CreateTTLRequest;
    case OpCode.delete:
      return R.DeleteRequest;
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return R.PathWatchRequest;
    case OpCode.setData:
      return R.SetDataRequest;
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getAllChildrenNumber:
    case OpCode.getEphemerals:
      return R.PathRequest;
    case OpCode.setACL:
      return R.SetACLRequest;
    case OpCode.check:
      return R.CheckVersionRequest;
    case OpCode.addWatch:
      return R.AddWatchRequest;
    case OpCode.removeWatches:
    case OpCode.checkWatches:
      return R.WatchesRequest;
    case OpCode.setWatches:
      return R.SetWatches;
    case OpCode.setWatches2:
      return R.SetWatches2;
    case OpCode.auth:
      return R.AuthPacket;
    default:
      return null;
  }
}

/** Reply body record by the opcode of the request it answers (for err == 0). */
function replyRecord(type: number): FieldType<any> | null {
  switch (type) {
    case OpCode.create:
      return R.CreateResponse;
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return R.Create2Response;
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      return R.SetDataResponse;
    case OpCode.getData:
      return R.GetDataResponse;
    case OpCode.getChildren:
      return R.GetChildrenResponse;
    case OpCode.getChildren2:
      return R.GetChildren2Response;
    case OpCode.getACL:
      return R.GetACLResponse;
    case OpCode.sync:
      return R.PathRequest;
    case OpCode.getEphemerals:
      return R.GetEphemeralsResponse;
    case OpCode.getAllChildrenNumber:
      return R.GetAllChildrenNumberResponse;
    case OpCode.whoAmI:
      return R.WhoAmIResponse;
    case OpCode.addWatch:
      return R.ErrorResponse;
    default:
      return null;
  }
}

function roundTrip<T>(type: FieldType<T>, bytes: Buffer, offset: number): number {
  const r = new JuteReader(bytes, offset, bytes.length);
  const v = type.read(r);
  const w = new JuteWriter(64);
  type.write(w, v);
  expect(w.toBuffer().toString('hex')).toBe(bytes.subarray(offset, r.offset).toString('hex'));
  return r.offset;
}

describe.each(fixtures)('captured Apache 3.8 traffic: %s', (name) => {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { frames: Frame[] };
  const conns = new Map<number, Frame[]>();
  for (const f of doc.frames) {
    if (f.partial) continue;
    const k = f.conn ?? 0;
    if (!conns.has(k)) conns.set(k, []);
    conns.get(k)!.push(f);
  }

  test('every frame decodes and re-encodes to the same bytes', () => {
    let checked = 0;
    for (const frames of conns.values()) {
      const pending = new Map<number, number>();
      let c2sSeen = 0;
      let s2cSeen = 0;
      for (const f of frames) {
        const frame = Buffer.from(f.hex, 'hex');
        expect(frame.readInt32BE(0)).toBe(frame.length - 4);
        const body = frame.subarray(4);
        if (f.dir === 'c2s') {
          if (c2sSeen++ === 0) {
            const end = roundTrip(R.ConnectRequest, body, 0);
            expect(body.length - end).toBeLessThanOrEqual(1); // the optional readOnly byte
            checked++;
            continue;
          }
          const end = roundTrip(R.RequestHeader, body, 0);
          const xid = body.readInt32BE(0);
          const type = body.readInt32BE(4);
          pending.set(xid, type);
          if (type === OpCode.multi || type === OpCode.multiRead) {
            const ops = readMultiOps(new JuteReader(body, end, body.length));
            expect(ops.length).toBeGreaterThan(0);
          } else {
            const rec = requestRecord(type);
            if (rec !== null) expect(roundTrip(rec, body, end)).toBe(body.length);
            else expect(body.length).toBe(end);
          }
          checked++;
        } else {
          if (s2cSeen++ === 0) {
            const end = roundTrip(R.ConnectResponse, body, 0);
            expect(body.length - end).toBeLessThanOrEqual(1);
            checked++;
            continue;
          }
          const end = roundTrip(R.ReplyHeader, body, 0);
          const xid = body.readInt32BE(0);
          const err = body.readInt32BE(12);
          if (xid === Xid.notification) {
            expect(roundTrip(R.WatcherEvent, body, end)).toBe(body.length);
          } else if (err === 0) {
            const rec = replyRecord(pending.get(xid) ?? -999);
            if (rec !== null) expect(roundTrip(rec, body, end)).toBe(body.length);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(4);
  });
});
