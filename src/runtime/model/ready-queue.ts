import type { StageRuntime } from './stage.js';

/** Ready sheets of one job for one (instrument, model), by sheet index, in FIFO order (a `ReadyQueueView` for the planner). */
export class ReadyQueue {
  readonly sheets = new Set<number>();
  constructor(
    readonly instrument: string,
    readonly model: string | undefined,
  ) {}
}

/**
 * Members of released stages that wait for room in one ready queue. Ready sheets are live
 * actors; a stage of 100,000 independent sheets would otherwise create 100,000 actors at
 * once. The backlog admits them in release order as the queue drains (see `readyWindow`).
 */
export class Backlog {
  readonly entries: Array<{ stage: StageRuntime; next: number }> = [];
  head = 0;
  constructor(
    readonly instrument: string,
    readonly model: string | undefined,
  ) {}

  get drained(): boolean {
    return this.head === this.entries.length;
  }
}
