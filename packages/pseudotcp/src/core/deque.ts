/**
 * FIFO with O(1) push, shift and indexed access over a circular array whose capacity is a power
 * of two. It keeps its capacity when it empties: the outbox and the segment queues drain and
 * refill on every event-loop turn, and an array rebuilt from empty each time was garbage.
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array(16).fill(undefined);
  private mask = 15;
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size > this.mask) this.grow();
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  peek(): T | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  at(index: number): T | undefined {
    return index < 0 || index >= this.size ? undefined : this.items[(this.head + index) & this.mask];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return item;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array((this.mask + 1) * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
