import type { BatchOrdering } from './types.js';

/**
 * Passes finished batches on in the order asked for: at once under `as-completed`; by batch
 * index under `preserve`, holding a batch back until every earlier one has passed.
 */
export class OrderBuffer<O extends { batchIndex: number }> {
  private nextIndex = 0;
  private readonly waiting = new Map<number, O>();

  constructor(
    private readonly ordering: BatchOrdering,
    private readonly emit: (outcome: O) => void,
  ) {}

  push(outcome: O): void {
    if (this.ordering === 'as-completed') return this.emit(outcome);
    this.waiting.set(outcome.batchIndex, outcome);
    for (let next = this.waiting.get(this.nextIndex); next !== undefined; next = this.waiting.get(this.nextIndex)) {
      this.waiting.delete(this.nextIndex);
      this.nextIndex++;
      this.emit(next);
    }
  }
}
