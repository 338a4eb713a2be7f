/**
 * getData replies carry large znode data uncopied (a view of the record page), and record pages emptied by
 * compaction are reused. Both hold together only if no page is written over while a reply that shows it is
 * still unwritten: here a client that does not read its replies holds megabytes of them while another
 * rewrites enough data to empty and compact many pages.
 */
import { LONE_COPY_MAX, replyViewsLive } from '../../src/protocol/replyWriter';
import { decodeGetData, rawClientFixture, rawConnect, rawCreate, rawGetData, rawSetData, socketOf, waitFor } from './helpers';

// Values this large always go out uncopied (smaller ones are copied into the reply buffer, at least when
// their batch is small).
const SIZE = LONE_COPY_MAX + 4096;
const value = (tag: number) => {
  const b = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4) b.writeUInt32BE(tag, i);
  return b;
};
describe('uncopied getData replies and reused record pages', () => {
  const { server, raws } = rawClientFixture();

  test('replies held back by a client that does not read show the value read, while the pages behind them are rewritten', async () => {
    const reader = await rawConnect(raws, { port: server().port });
    const writer = await rawConnect(raws, { port: server().port });
    expect((await rawCreate(reader, '/zc', value(0))).err).toBe(0);
    for (let k = 0; k < 50; k++) expect((await rawCreate(writer, `/churn${k}`, value(0))).err).toBe(0);

    // The reader stops reading: its replies pile up in the server's socket, holding views of the records.
    socketOf(reader).pause();
    const N = 800;
    const sets: Promise<unknown>[] = [];
    const gets: Promise<{ err: number; body: Buffer }>[] = [];
    for (let i = 1; i <= N; i++) {
      sets.push(rawSetData(reader, '/zc', value(i)));
      gets.push(rawGetData(reader, '/zc'));
    }
    // ~16 MB of replies: far more than the socket buffers take.
    await waitFor(() => replyViewsLive(), 5000, 'replies held by the server');
    // 12 MB of other values rewritten: pages fill, empty and are compacted meanwhile.
    for (let round = 0; round < 12; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => rawSetData(writer, `/churn${k}`, value(100000 + round * 50 + k))));
    }
    socketOf(reader).resume();
    await Promise.all(sets);
    const replies = await Promise.all(gets);
    for (let i = 0; i < N; i++) {
      expect(replies[i].err).toBe(0);
      const data = decodeGetData(replies[i].body).data!;
      if (!data.equals(value(i + 1))) {
        const at = data.findIndex((b, j) => b !== value(i + 1)[j]);
        throw new Error(`getData ${i + 1}: byte ${at} of the value was written over`);
      }
    }
    // Everything written: pages may be reused again.
    await waitFor(() => !replyViewsLive(), 5000, 'views released');
  });

  test('a client that goes away with replies unread releases them', async () => {
    const reader = await rawConnect(raws, { port: server().port });
    await rawCreate(reader, '/zc2', value(7));
    socketOf(reader).pause();
    for (let i = 0; i < 1000; i++) void rawGetData(reader, '/zc2').catch(() => undefined);
    await waitFor(() => replyViewsLive(), 5000, 'replies held by the server');
    reader.destroy();
    await waitFor(() => !replyViewsLive(), 5000, 'views released after the connection closed');
  });
});
