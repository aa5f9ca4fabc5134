import { describe, expect, it } from 'vitest';
import { AttemptAbort, SignalAbortSource } from '../../src/actors/attempt-abort.js';
import { RUN_WITH_ABORT_SOURCE } from '../../src/actors/instruments/instrument.js';
import { perform } from '../../src/actors/musician.js';
import { createFunctionInstrument, type SheetFunction } from '../../src/index.js';
import { countingHooks, makeRequest } from './helpers.js';

const dir = '/nonexistent/baton-abort-tests';

describe('AttemptAbort', () => {
  it('builds no signal until asked, and an asked-for signal follows the abort', () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    expect(signal.aborted).toBe(false);
    abort.abort('timeout');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('timeout');
    expect(abort.signal).toBe(signal);
  });

  it('gives a signal that is already aborted, with the reason, when asked after the abort', () => {
    const abort = new AttemptAbort();
    abort.abort('shutdown');
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe('shutdown');
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe('shutdown');
  });

  it('calls each listener once on abort, not after its removal, and a second abort changes nothing', () => {
    const abort = new AttemptAbort();
    const calls: string[] = [];
    abort.listen(() => calls.push('first'));
    // A second listener at the same time goes through the real signal.
    const removeSecond = abort.listen(() => calls.push('second'));
    const third = abort.listen(() => calls.push('third'));
    removeSecond();
    abort.abort('cancelled');
    abort.abort('timeout');
    expect(calls.sort()).toEqual(['first', 'third']);
    expect(abort.reason).toBe('cancelled');
    third();
  });

  it('never calls a listener whose removal came first', () => {
    const abort = new AttemptAbort();
    let called = false;
    const remove = abort.listen(() => (called = true));
    remove();
    abort.abort('cancelled');
    expect(called).toBe(false);
  });
});

describe('SignalAbortSource', () => {
  it('reads and listens through the signal it wraps', () => {
    const controller = new AbortController();
    const source = new SignalAbortSource(controller.signal);
    let heard = 0;
    source.listen(() => heard++);
    expect(source.aborted).toBe(false);
    controller.abort('shutdown');
    expect(source.aborted).toBe(true);
    expect(source.reason).toBe('shutdown');
    expect(heard).toBe(1);
  });
});

describe('a function instrument played with the conductor’s abort', () => {
  const play = (fn: SheetFunction, abort: AttemptAbort) => {
    const instrument = createFunctionInstrument({ name: 'js', fn });
    return perform(instrument, makeRequest(dir), abort, () => {});
  };

  it('is called through the abort-source entry, not through run()', async () => {
    const instrument = createFunctionInstrument({ name: 'js', fn: () => ({ ok: true }) });
    let viaRun = 0;
    const run = instrument.run;
    instrument.run = (...args) => {
      viaRun++;
      return run(...args);
    };
    const outcome = await perform(instrument, makeRequest(dir), new AttemptAbort(), () => {});
    expect(outcome.status).toBe('success');
    expect(viaRun).toBe(0);
    expect(typeof instrument[RUN_WITH_ABORT_SOURCE]).toBe('function');
  });

  it('ends as aborted at once when aborted while the function is still running', async () => {
    const abort = new AttemptAbort();
    const never = new Promise<never>(() => {});
    const played = play(() => never, abort);
    abort.abort('timeout');
    expect(await played).toEqual({ status: 'failure', error: 'aborted (timeout)' });
  });

  it('hands the function a signal that aborts with the attempt', async () => {
    const abort = new AttemptAbort();
    let seen: unknown;
    const played = play(
      (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            seen = ctx.signal.reason;
            resolve({ ok: true });
          });
        }),
      abort,
    );
    abort.abort('cancelled');
    await played;
    expect(seen).toBe('cancelled');
  });

  it('is not called at all when the attempt was aborted before it started', async () => {
    const abort = new AttemptAbort();
    abort.abort('shutdown');
    const hooks = countingHooks();
    const instrument = createFunctionInstrument({ name: 'js', fn: () => ({ ok: true }) });
    const outcome = await instrument[RUN_WITH_ABORT_SOURCE](makeRequest(dir), abort, hooks);
    expect(outcome.status).toBe('failure');
    expect(hooks.started).toBe(0);
  });
});
