import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  createFunctionInstrument,
  type AttemptHooks,
  type SheetFunction,
  type SheetFunctionContext,
} from '../../src/index.js';
import { countingHooks, makeRequest } from './helpers.js';

const dir = '/nonexistent/baton-function-tests';

function run(fn: SheetFunction, signal = new AbortController().signal, hooks: AttemptHooks = countingHooks()) {
  const instrument = createFunctionInstrument({ name: 'js', fn });
  return instrument.run(makeRequest(dir), signal, hooks);
}

describe('function instrument', () => {
  it('is a function-kind instrument with the given name', () => {
    const instrument = createFunctionInstrument({ name: 'js', fn: () => ({ ok: true }) });
    expect(instrument.name).toBe('js');
    expect(instrument.kind).toBe('function');
  });

  it('gives the function the sheet context', async () => {
    let seen: SheetFunctionContext | undefined;
    const instrument = createFunctionInstrument({
      name: 'js',
      fn: (ctx) => {
        seen = ctx;
        return { ok: true };
      },
    });
    const controller = new AbortController();
    const request = makeRequest(dir, {
      sheetId: 'analyze.2',
      attempt: 3,
      run: 7,
      mode: 'completion',
      fan: { index: 2, count: 3 },
      model: 'fast',
      vars: { region: 'eu' },
      deps: { fetch: { output_file: '/tmp/fetch.stdout' } },
    });
    await instrument.run(request, controller.signal, countingHooks());
    expect(seen).toEqual({
      sheet: { id: 'analyze.2', attempt: 3, run: 7, mode: 'completion', fan: { index: 2, count: 3 }, failedValidations: [] },
      workspace: request.workspace,
      model: 'fast',
      vars: { region: 'eu' },
      deps: { fetch: { output_file: '/tmp/fetch.stdout' } },
      signal: controller.signal,
      context: [],
    });
  });

  it('reports started before calling the function', async () => {
    const hooks = countingHooks();
    let startedWhenCalled = -1;
    await run(() => {
      startedWhenCalled = hooks.started;
      return { ok: true };
    }, undefined, hooks);
    expect(startedWhenCalled).toBe(1);
    expect(hooks.started).toBe(1);
  });

  describe('results', () => {
    it('is a success with the output for { ok: true }, sync or async', async () => {
      expect(await run(() => ({ ok: true, output: { n: 1 } }))).toEqual({ status: 'success', output: { n: 1 } });
      expect(await run(async () => ({ ok: true, output: 'x' }))).toEqual({ status: 'success', output: 'x' });
    });

    it('is a failure with the given error for { ok: false }', async () => {
      expect(await run(() => ({ ok: false, error: 'no data' }))).toEqual({ status: 'failure', error: 'no data' });
      expect(await run(async () => ({ ok: false }))).toEqual({ status: 'failure', error: 'returned ok: false' });
    });

    it('maps cost_usd to costUsd, on success and on failure', async () => {
      expect(await run(() => ({ ok: true, cost_usd: 0.25 }))).toEqual({ status: 'success', costUsd: 0.25 });
      expect(await run(() => ({ ok: false, cost_usd: 0 }))).toMatchObject({ status: 'failure', costUsd: 0 });
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '0.5'])('rejects cost_usd %s', async (cost) => {
      const outcome = await run(() => ({ ok: true, cost_usd: cost as number }));
      expect(outcome.status).toBe('failure');
      expect(outcome.error).toMatch(/^returned cost_usd .+; expected a finite number >= 0$/);
      expect(outcome.costUsd).toBeUndefined();
    });

    it('maps rate_limited_s to rateLimitedS', async () => {
      const outcome = await run(async () => ({ ok: false, rate_limited_s: 30, error: 'HTTP 429' }));
      expect(outcome).toEqual({ status: 'failure', error: 'HTTP 429', rateLimitedS: 30 });
    });

    it('rejects a negative rate_limited_s', async () => {
      const outcome = await run(() => ({ ok: false, rate_limited_s: -5 }));
      expect(outcome.error).toBe('returned rate_limited_s -5; expected a finite number >= 0');
    });

    it.each([
      [undefined, 'returned undefined; expected { ok: boolean }'],
      [null, 'returned null; expected { ok: boolean }'],
      ['done', 'returned "done"; expected { ok: boolean }'],
      [42, 'returned 42; expected { ok: boolean }'],
      [[], 'returned an array; expected { ok: boolean }'],
      [{ output: 1 }, 'returned an object without "ok"; expected { ok: boolean }'],
      [{ ok: 'yes' }, 'returned an object with ok: "yes"; expected { ok: boolean }'],
    ])('is a failure when the function returns %j', async (value, error) => {
      expect(await run(() => value as never)).toEqual({ status: 'failure', error });
      expect(await run(async () => value as never)).toEqual({ status: 'failure', error });
    });
  });

  describe('errors', () => {
    it('turns a synchronous throw into a failure with its message', async () => {
      const outcome = await run(() => {
        throw new Error('disk full');
      });
      expect(outcome).toEqual({ status: 'failure', error: 'disk full' });
    });

    it('turns a rejection into a failure with its message', async () => {
      expect(await run(async () => Promise.reject(new TypeError('bad input')))).toEqual({
        status: 'failure',
        error: 'bad input',
      });
    });

    it('describes a thrown non-Error value', async () => {
      /* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- the non-Error reasons are what is under test */
      expect(await run(() => Promise.reject('plain string'))).toEqual({ status: 'failure', error: 'plain string' });
      expect(await run(() => Promise.reject(undefined))).toEqual({ status: 'failure', error: 'threw undefined' });
      /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */
    });

    it('never rejects, even when the onStarted hook throws', async () => {
      let called = false;
      const outcome = await run(
        () => {
          called = true;
          return { ok: true };
        },
        undefined,
        {
          onStarted() {
            throw new Error('hook broke');
          },
        },
      );
      expect(outcome).toEqual({ status: 'failure', error: 'hook broke' });
      expect(called).toBe(false);
    });
  });

  describe('abort', () => {
    it('resolves as aborted while the function ignores the signal', async () => {
      const controller = new AbortController();
      const hooks = countingHooks();
      const never = new Promise<never>(() => {});
      const outcome = run(() => never, controller.signal, hooks);
      await Promise.resolve();
      controller.abort('timeout');
      expect(await outcome).toEqual({ status: 'failure', error: 'aborted (timeout)' });
      expect(hooks.started).toBe(1);
    });

    it('reports the abort even when the function rejects because of it', async () => {
      const controller = new AbortController();
      const outcome = run(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('gave up')))),
        controller.signal,
      );
      controller.abort('cancelled');
      expect(await outcome).toEqual({ status: 'failure', error: 'aborted (cancelled)' });
    });

    it('does not call the function when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort('shutdown');
      const hooks = countingHooks();
      let called = false;
      const outcome = await run(
        () => {
          called = true;
          return { ok: true };
        },
        controller.signal,
        hooks,
      );
      expect(outcome).toEqual({ status: 'failure', error: 'aborted (shutdown)' });
      expect(called).toBe(false);
      expect(hooks.started).toBe(0);
    });

    it('leaves no abort listener behind once settled', async () => {
      const controller = new AbortController();
      await run(async () => ({ ok: true }), controller.signal);
      await run(async () => Promise.reject(new Error('x')), controller.signal);
      await run(() => ({ ok: true }), controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

      const other = new AbortController();
      const pending = run(() => new Promise<never>(() => {}), other.signal);
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
      other.abort('timeout');
      await pending;
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    });

    it('ignores a late result after the abort', async () => {
      const controller = new AbortController();
      let finish: (value: { ok: boolean }) => void = () => {};
      const outcome = run(() => new Promise((resolve) => (finish = resolve)), controller.signal);
      controller.abort('timeout');
      finish({ ok: true });
      expect(await outcome).toEqual({ status: 'failure', error: 'aborted (timeout)' });
    });
  });
});
