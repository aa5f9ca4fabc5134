import type { BatchGrouper, GroupedItems } from './strategy.js';

/**
 * Groups consecutive items: one open group at a time. `fits` decides whether an item may
 * join the open group (else the group closes first); `full` whether the group closes now.
 */
export class RunGrouper<T> implements BatchGrouper<T> {
  private open: GroupedItems<T> = { items: [], indices: [] };
  private readonly ready: GroupedItems<T>[] = [];

  constructor(
    private readonly full: (group: GroupedItems<T>) => boolean,
    private readonly fits: (group: GroupedItems<T>, item: T, index: number) => boolean = () => true,
  ) {}

  add(item: T, index: number): void {
    if (!this.fits(this.open, item, index)) this.close();
    this.open.items.push(item);
    this.open.indices.push(index);
    if (this.full(this.open)) this.close();
  }

  takeReady(): GroupedItems<T> | undefined {
    return this.ready.shift();
  }

  takeForBound(): GroupedItems<T> | undefined {
    return this.takeRemaining();
  }

  takeRemaining(): GroupedItems<T> | undefined {
    if (this.ready.length === 0) this.close();
    return this.ready.shift();
  }

  private close(): void {
    if (this.open.items.length === 0) return;
    this.ready.push(this.open);
    this.open = { items: [], indices: [] };
  }
}
