import { describe, expect, it, vi } from 'vitest';
import {
  BufferClosedError,
  DispatchBuffer,
  VirtualClock,
  type DispatchBufferOptions,
  type StartFailure,
  type StartFailureInfo,
} from '../../src/index.js';
import { settle } from '../support/virtual-run.js';

/** A start that waits until the test says how it went. */
class ManualStarts {
  readonly pending = new Map<string, (failure?: StartFailure) => void>();
  readonly calls: string[] = [];
  readonly start = (item: string): Promise<StartFailure | undefined> =>
    new Promise((resolve) => {
      this.calls.push(item);
      this.pending.set(item, resolve);
    });

  finish(item: string, failure?: StartFailure): void {
    const resolve = this.pending.get(item);
    if (resolve === undefined) throw new Error(`${item} is not starting`);
    this.pending.delete(item);
    resolve(failure);
  }
}

interface Failed {
  item: string;
  failure: StartFailure;
  info: StartFailureInfo;
}

function buffer(
  over: Partial<DispatchBufferOptions<string>> & Pick<DispatchBufferOptions<string>, 'start'>,
): { buffer: DispatchBuffer<string>; failed: Failed[]; clock: VirtualClock } {
  const clock = new VirtualClock();
  const failed: Failed[] = [];
  const made = new DispatchBuffer<string>({
    size: 2,
    workers: 1,
    clock,
    startFailed: (item, failure, info) => failed.push({ item, failure, info }),
    ...over,
  });
  return { buffer: made, failed, clock };
}

describe('the dispatch buffer', () => {
  it('never blocks the caller: offer returns at once and starts nothing itself', async () => {
    const starts = new ManualStarts();
    const { buffer: b } = buffer({ start: starts.start, size: 3, workers: 2 });
    expect(b.offer('a')).toBe(true);
    expect(b.offer('b')).toBe(true);
    expect(b.offer('c')).toBe(true);
    expect(starts.calls).toEqual([]);
    expect(b.queued).toBe(3);
    await settle();
    expect(starts.calls).toEqual(['a', 'b']);
    expect(b.starting).toBe(2);
    expect(b.queued).toBe(1);
  });

  it('answers "at capacity" when its slots are full, and accepts again once a worker takes one', async () => {
    const starts = new ManualStarts();
    const roomFreed = vi.fn();
    const { buffer: b } = buffer({ start: starts.start, size: 2, workers: 1, roomFreed });
    expect([b.offer('a'), b.offer('b'), b.offer('c')]).toEqual([true, true, false]);
    expect(b.free).toBe(0);
    await settle();
    expect(roomFreed).toHaveBeenCalledTimes(1);
    expect(b.free).toBe(1);
    expect(b.offer('c')).toBe(true);
    expect(b.offer('d')).toBe(false);
    starts.finish('a');
    await settle();
    expect(starts.calls).toEqual(['a', 'b']);
  });

  it('starts items in the order offered, never more at once than it has workers', async () => {
    const starts = new ManualStarts();
    const depths: Array<[number, number]> = [];
    const { buffer: b } = buffer({
      start: starts.start,
      size: 5,
      workers: 2,
      depthChanged: (queued, starting) => depths.push([queued, starting]),
    });
    for (const item of ['a', 'b', 'c', 'd', 'e']) b.offer(item);
    await settle();
    starts.finish('b');
    await settle();
    starts.finish('a');
    await settle();
    expect(starts.calls).toEqual(['a', 'b', 'c', 'd']);
    expect(Math.max(...depths.map(([, starting]) => starting))).toBe(2);
    expect(Math.max(...depths.map(([queued]) => queued))).toBe(5);
  });

  it('tries a transient failure again after a growing backoff on its clock, then gives up', async () => {
    const calls: number[] = [];
    const { buffer: b, failed, clock } = buffer({
      start: async () => {
        calls.push(clock.now());
        return { permanent: false, error: 'spawn EAGAIN' };
      },
    });
    b.offer('a');
    await settle();
    while (clock.runNext()) await settle();
    expect(calls).toEqual([0, 100, 400, 1300]);
    expect(failed.map((f) => f.info)).toEqual([
      { tries: 1, retryInMs: 100 },
      { tries: 2, retryInMs: 300 },
      { tries: 3, retryInMs: 900 },
      { tries: 4, retryInMs: undefined },
    ]);
    expect(b.starting).toBe(0);
  });

  it('stops at the first success after a transient failure', async () => {
    let tries = 0;
    const { buffer: b, failed, clock } = buffer({
      start: async () => (++tries < 3 ? { permanent: false, error: 'EMFILE' } : undefined),
    });
    b.offer('a');
    await settle();
    while (clock.runNext()) await settle();
    expect(tries).toBe(3);
    expect(failed.every((f) => f.info.retryInMs !== undefined)).toBe(true);
  });

  it('hands a permanent failure back at once, without another try', async () => {
    const start = vi.fn(async () => ({ permanent: true, error: 'command not found' }));
    const { buffer: b, failed, clock } = buffer({ start });
    b.offer('a');
    await settle();
    expect(clock.pendingTimers).toBe(0);
    expect(start).toHaveBeenCalledTimes(1);
    expect(failed).toEqual([{ item: 'a', failure: { permanent: true, error: 'command not found' }, info: { tries: 1, retryInMs: undefined } }]);
  });

  it('keeps working when a start throws or rejects: the throw is a transient failure', async () => {
    const started: string[] = [];
    const { buffer: b, failed, clock } = buffer({
      size: 3,
      start: (item) => {
        if (item === 'throws') throw new Error('boom');
        if (item === 'rejects') return Promise.reject(new Error('bang'));
        started.push(item);
        return Promise.resolve(undefined);
      },
      retry: { tries: 2 },
    });
    b.offer('throws');
    b.offer('rejects');
    b.offer('fine');
    await settle();
    while (clock.runNext()) await settle();
    expect(started).toEqual(['fine']);
    expect(failed.filter((f) => f.info.retryInMs === undefined).map((f) => [f.item, f.failure])).toEqual([
      ['throws', { permanent: false, error: 'boom' }],
      ['rejects', { permanent: false, error: 'bang' }],
    ]);
  });

  it('keeps working when a callback of its owner throws', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const starts = new ManualStarts();
      const { buffer: b } = buffer({
        start: starts.start,
        depthChanged: () => {
          throw new Error('listener broke');
        },
      });
      b.offer('a');
      b.offer('b');
      await settle();
      starts.finish('a');
      await settle();
      expect(starts.calls).toEqual(['a', 'b']);
      expect(warnings).toHaveBeenCalledWith(expect.stringContaining('listener broke'), 'BatonWarning');
    } finally {
      warnings.mockRestore();
    }
  });

  describe('withdraw()', () => {
    it('takes back a queued item: it never starts, and a full queue has room again', async () => {
      const starts = new ManualStarts();
      const roomFreed = vi.fn();
      const { buffer: b, failed } = buffer({ start: starts.start, size: 2, workers: 1, roomFreed });
      b.offer('a');
      await settle();
      b.offer('b');
      b.offer('c');
      expect(b.free).toBe(0);
      expect(b.withdraw('b')).toBe(true);
      expect(roomFreed).toHaveBeenCalledTimes(1);
      expect([b.queued, b.free]).toEqual([1, 1]);
      starts.finish('a');
      await settle();
      starts.finish('c');
      await settle();
      expect(starts.calls).toEqual(['a', 'c']);
      expect(failed).toEqual([]);
    });

    it('ends a backoff wait: no further try, and the worker goes on to the next item at once', async () => {
      const calls: Array<[string, number]> = [];
      const { buffer: b, failed, clock } = buffer({
        start: async (item) => {
          calls.push([item, clock.now()]);
          return item === 'a' ? { permanent: false, error: 'EAGAIN' } : undefined;
        },
      });
      b.offer('a');
      b.offer('b');
      await settle();
      expect(b.withdraw('a')).toBe(true);
      await settle();
      expect(calls).toEqual([
        ['a', 0],
        ['b', 0],
      ]);
      expect(clock.pendingTimers).toBe(0);
      expect(failed.map((f) => f.info)).toEqual([{ tries: 1, retryInMs: 100 }]);
      expect(b.starting).toBe(0);
    });

    it('leaves a start in progress alone, and answers false for an item it does not hold', async () => {
      const starts = new ManualStarts();
      const { buffer: b } = buffer({ start: starts.start });
      b.offer('a');
      await settle();
      expect(b.withdraw('a')).toBe(false);
      expect(b.withdraw('never offered')).toBe(false);
      expect(b.starting).toBe(1);
    });

    it('lets a closing buffer drain once what it still held is withdrawn', async () => {
      const starts = new ManualStarts();
      const { buffer: b } = buffer({ start: starts.start, size: 2, workers: 1 });
      b.offer('a');
      b.offer('b');
      await settle();
      let closed = false;
      void b.close().then(() => (closed = true));
      expect(b.withdraw('b')).toBe(true);
      starts.finish('a');
      await settle();
      expect(closed).toBe(true);
      expect(starts.calls).toEqual(['a']);
    });
  });

  describe('close()', () => {
    it('drains what is queued and waits for the workers', async () => {
      const starts = new ManualStarts();
      const { buffer: b } = buffer({ start: starts.start, size: 3, workers: 1 });
      b.offer('a');
      b.offer('b');
      b.offer('c');
      let closed = false;
      void b.close().then(() => (closed = true));
      for (const item of ['a', 'b', 'c']) {
        await settle();
        expect(closed).toBe(false);
        starts.finish(item);
      }
      await settle();
      expect(closed).toBe(true);
      expect(starts.calls).toEqual(['a', 'b', 'c']);
    });

    it('is safe to call twice, and refuses new items with a clear error', async () => {
      const { buffer: b } = buffer({ start: async () => undefined });
      const first = b.close();
      expect(b.close()).toBe(first);
      await first;
      expect(b.free).toBe(0);
      expect(() => b.offer('late')).toThrow(BufferClosedError);
      expect(() => b.offer('late')).toThrow('the dispatch buffer is closed: it accepts no new starts');
    });

    it('cuts a backoff short: the item gets one last try, without the clock moving', async () => {
      let tries = 0;
      const { buffer: b, failed, clock } = buffer({
        start: async () => {
          tries++;
          return { permanent: false, error: 'EAGAIN' };
        },
      });
      b.offer('a');
      await settle();
      expect(tries).toBe(1);
      await b.close();
      expect(tries).toBe(2);
      expect(clock.now()).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      expect(failed.at(-1)?.info).toEqual({ tries: 2, retryInMs: undefined });
    });
  });

  it('rejects a size below 1 or workers below 1', () => {
    const start = async (): Promise<undefined> => undefined;
    expect(() => buffer({ start, size: 0 })).toThrow('dispatch buffer size must be an integer >= 1, got 0');
    expect(() => buffer({ start, workers: 1.5 })).toThrow('dispatch buffer workers must be an integer >= 1, got 1.5');
  });
});
