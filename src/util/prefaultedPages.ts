import * as fs from 'fs';

/** Where a growing NodeStore takes its next record page, when there is one ready. */
export interface PageSource {
  /** A page of the source's size, or null: the caller allocates one itself. */
  take(): Buffer | null;
}

/**
 * Record pages made resident ahead of need, on a thread-pool thread. The first write to each 4 KB of new
 * memory is a page fault, several µs on the VM zkts is measured on: creating 10 KB znodes, 2.6 faults per
 * request on the event loop's thread, whose time per create fell by a sixth once they moved. Reading
 * /dev/zero into a fresh page has the kernel fault it in on the thread that reads, usually on the other
 * core (the faults cost no less there: this buys throughput, not CPU). At most `depth` pages are ready or
 * being read, so the resident set grows by that many pages at most.
 */
export class PrefaultedPages implements PageSource {
  private readonly ready: Buffer[] = [];
  private reading = 0;
  /** /dev/zero, opened on first use; -2 once it could not be (the source then never has a page). */
  private fd = -1;
  private closed = false;

  constructor(
    readonly pageSize: number,
    private readonly depth = 2,
  ) {}

  take(): Buffer | null {
    const page = this.ready.pop() ?? null;
    this.refill();
    return page;
  }

  /** Pages ready to be taken (for tests). */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Calls back once no read is under way (for tests: close() itself closes the file once the reads end). */
  whenIdle(done: () => void): void {
    if (this.reading === 0) done();
    else setTimeout(() => this.whenIdle(done), 1);
  }

  close(): void {
    this.closed = true;
    this.ready.length = 0;
    this.closeFdWhenIdle();
  }

  private refill(): void {
    if (this.closed) return;
    if (this.fd === -1) {
      try {
        this.fd = fs.openSync('/dev/zero', 'r');
      } catch {
        this.fd = -2;
      }
    }
    if (this.fd < 0) return;
    while (this.ready.length + this.reading < this.depth) {
      this.reading++;
      this.fill(Buffer.allocUnsafeSlow(this.pageSize), 0);
    }
  }

  private fill(page: Buffer, from: number): void {
    fs.read(this.fd, page, from, page.length - from, null, (err, n) => {
      if (err === null && n > 0 && from + n < page.length && !this.closed) {
        this.fill(page, from + n);
        return;
      }
      this.reading--;
      if (err === null && from + n === page.length && !this.closed) this.ready.push(page);
      if (this.closed) this.closeFdWhenIdle();
    });
  }

  private closeFdWhenIdle(): void {
    if (this.reading > 0 || this.fd < 0) return;
    const fd = this.fd;
    this.fd = -2;
    fs.close(fd, () => undefined);
  }
}
