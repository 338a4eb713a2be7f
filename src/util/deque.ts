/** A FIFO over a growable ring buffer: O(1) push, shift and pop without Array.shift's copying. */
export class Deque<T> implements Iterable<T> {
  private items: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(capacity = 16) {
    this.items = new Array(capacity);
  }

  push(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = v;
    this.length++;
  }

  /** Puts `v` in front of the others. */
  unshift(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = v;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return v;
  }

  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) % this.items.length;
    const v = this.items[i];
    this.items[i] = undefined;
    this.length--;
    return v;
  }

  first(): T {
    return this.items[this.head] as T;
  }

  /** The `i`th from the front (0 ≤ i < length). */
  at(i: number): T {
    return this.items[(this.head + i) % this.items.length] as T;
  }

  last(): T {
    return this.items[(this.head + this.length - 1) % this.items.length] as T;
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }
}
