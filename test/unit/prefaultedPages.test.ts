/**
 * Record pages made resident on the thread pool (a read of /dev/zero into each) before the NodeStore needs
 * them: at most `depth` ready or being read, handed out whole, none once closed; the store takes its fresh
 * pages from the source when one is ready and allocates its own otherwise.
 */
import { NodeStore, PAGE_SIZE, ROOT } from '../../src/tree/nodeStore';
import { PageSource, PrefaultedPages } from '../../src/util/prefaultedPages';

const idle = (p: PrefaultedPages): Promise<void> => new Promise((resolve) => p.whenIdle(resolve));

describe('PrefaultedPages', () => {
  test('none at first; then `depth` pages of the size, zero-filled; each take starts one more', async () => {
    const p = new PrefaultedPages(1 << 16, 2);
    try {
      expect(p.take()).toBeNull();
      await idle(p);
      expect(p.readyCount).toBe(2);
      // A second refill does not go past the depth.
      expect(p.take()).not.toBeNull();
      expect(p.take()).not.toBeNull();
      await idle(p);
      expect(p.readyCount).toBe(2);
      const page = p.take()!;
      expect(page.length).toBe(1 << 16);
      expect(page.every((b) => b === 0)).toBe(true);
      await idle(p);
      expect(p.readyCount).toBe(2);
    } finally {
      p.close();
    }
  });

  test('closed: the ready pages are dropped and no more are read', async () => {
    const p = new PrefaultedPages(1 << 16, 2);
    p.take();
    p.close(); // while the reads are under way
    await idle(p);
    expect(p.readyCount).toBe(0);
    expect(p.take()).toBeNull();
    await idle(p);
    expect(p.readyCount).toBe(0);
  });
});

describe('NodeStore record pages', () => {
  /** A source that hands out pages it made and remembers them. */
  function fakeSource(available: number): PageSource & { given: Buffer[]; asked: number } {
    const src = {
      given: [] as Buffer[],
      asked: 0,
      take(): Buffer | null {
        src.asked++;
        if (src.given.length >= available) return null;
        const page = Buffer.alloc(PAGE_SIZE);
        src.given.push(page);
        return page;
      },
    };
    return src;
  }

  test('fresh pages come from the source while it has them, then from the store itself', () => {
    const s = new NodeStore();
    const src = fakeSource(1);
    s.pageSource = src;
    const big = Buffer.alloc(PAGE_SIZE >> 3, 7);
    const ids: number[] = [];
    // 8 records of an eighth of a page each (plus headers) fill more than two pages.
    for (let i = 0; i < 20; i++) {
      const id = s.addChild(ROOT, `n${i}`);
      s.setData(id, big);
      ids.push(id);
    }
    expect(src.given).toHaveLength(1);
    expect(src.asked).toBeGreaterThan(1);
    const pages = new Set(ids.map((id) => s.data(id)!.buffer));
    expect(pages.has(src.given[0].buffer)).toBe(true);
    expect(pages.size).toBeGreaterThan(2);
    for (const id of ids) expect(s.data(id)!.equals(big)).toBe(true);
  });

  test('records larger than a quarter page get pages of their own size, not the source\'s', () => {
    const s = new NodeStore();
    const src = fakeSource(10);
    s.pageSource = src;
    const id = s.addChild(ROOT, 'large');
    s.setData(id, Buffer.alloc((PAGE_SIZE >> 2) + 1, 1));
    expect(src.given.map((p) => p.buffer)).not.toContain(s.data(id)!.buffer);
  });
});
