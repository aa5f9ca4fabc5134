/**
 * A source that records how it is used: items pulled, whether `return()` was called, and a
 * check run before every pull.
 */
export class CountingSource<T> implements Iterable<T> {
  pulled = 0;
  returned = false;
  /** The iterator answered `done`. */
  exhausted = false;

  constructor(
    private readonly items: readonly T[],
    private readonly beforePull: (pulled: number) => void = () => {},
  ) {}

  [Symbol.iterator](): Iterator<T> {
    let i = 0;
    return {
      next: () => {
        this.beforePull(this.pulled);
        if (i >= this.items.length) {
          this.exhausted = true;
          return { done: true, value: undefined };
        }
        this.pulled++;
        return { done: false, value: this.items[i++]! };
      },
      return: () => {
        this.returned = true;
        return { done: true, value: undefined };
      },
    };
  }
}

export interface SourceRecord {
  pulled: number;
  /** Every item was yielded. */
  exhausted: boolean;
  /** The generator's `finally` ran: at its end, or early through `return()`. */
  closed: boolean;
}

export const sourceRecord = (): SourceRecord => ({ pulled: 0, exhausted: false, closed: false });

/** An async generator over `items` that records how far it got and whether it was closed. */
export function asyncSource<T>(items: readonly T[], record: SourceRecord): AsyncIterable<T> {
  return (async function* () {
    try {
      for (const item of items) {
        await Promise.resolve();
        record.pulled++;
        yield item;
      }
      record.exhausted = true;
    } finally {
      record.closed = true;
    }
  })();
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** What the executor returned for each entry of `results`, in `results`' order. */
export const resultValues = <R>(run: { results: readonly { result: R }[] }): R[] => run.results.map((entry) => entry.result);
