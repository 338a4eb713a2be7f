import { OpCode } from '../protocol/opCodes';
import { Ephemeral, ttlOf } from '../tree/ephemeralType';
import { capacityFor, javaStringSetOrder } from '../util/javaHash';
import { Request } from './request';
import type { ZooKeeperServer } from './zooKeeperServer';

export interface ContainerManagerOptions {
  /** znode.container.checkIntervalMs */
  checkIntervalMs: number;
  /** znode.container.maxPerMinute: deletes are spread so no more than this many happen a minute. */
  maxPerMinute: number;
  /** znode.container.maxNeverUsedIntervalMs: 0 keeps never-used containers forever. */
  maxNeverUsedIntervalMs: number;
}

/**
 * ContainerManager: every check interval, deletes containers that had children and are empty again,
 * and TTL nodes that have no children and were not modified for longer than their TTL. Deletes go
 * through the request pipeline as deleteContainer txns, like any other write.
 */
export class ContainerManager {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly zks: ZooKeeperServer,
    private readonly opts: ContainerManagerOptions,
  ) {}

  start(): void {
    if (this.timer !== null || this.opts.checkIntervalMs <= 0) return;
    this.timer = setInterval(() => void this.checkContainers(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  candidates(): string[] {
    const tree = this.zks.dataTree;
    const now = this.zks.now();
    const out: string[] = [];
    for (const path of tree.containers) {
      const n = tree.getNode(path);
      if (n === undefined || n.numChildren > 0) continue;
      // cversion > 0: it has had children; a fresh container is kept until it is used.
      if (n.cversion > 0) out.push(path);
      else if (this.opts.maxNeverUsedIntervalMs !== 0 && now - n.mtime > this.opts.maxNeverUsedIntervalMs) out.push(path);
    }
    for (const path of tree.ttls) {
      const n = tree.getNode(path);
      if (n === undefined || n.numChildren > 0) continue;
      if (tree.ephemeralType(n.ephemeralOwner) !== Ephemeral.TTL) continue;
      const ttl = ttlOf(n.ephemeralOwner);
      if (ttl !== 0 && now - n.mtime > ttl) out.push(path);
    }
    return javaStringSetOrder(out, capacityFor(out.length));
  }

  async checkContainers(): Promise<void> {
    if (this.busy || !this.zks.isRunning) return;
    this.busy = true;
    try {
      const minIntervalMs = this.opts.maxPerMinute > 0 ? Math.floor(60000 / this.opts.maxPerMinute) : 0;
      for (const path of this.candidates()) {
        if (!this.zks.isRunning) return;
        this.zks.log.info(`Attempting to delete candidate container: ${path}`);
        this.zks.submitRequest(new Request(null, 0n, 0, OpCode.deleteContainer, Buffer.from(path, 'utf8'), [], null, Date.now()));
        if (minIntervalMs > 0) await new Promise((r) => setTimeout(r, minIntervalMs));
      }
    } finally {
      this.busy = false;
    }
  }
}
