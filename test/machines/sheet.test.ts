import { describe, expect, it } from 'vitest';
import { backoffDelay, sheetMachine, type SheetEvent, type SheetInput } from '../../src/index.js';
import { startMachine } from '../support/machines.js';

const input = (over: Partial<SheetInput> = {}): SheetInput => ({
  maxAttempts: 3,
  completionAttempts: 2,
  heal: false,
  escalate: false,
  fallbacks: 0,
  backoff: { initialMs: 1000, factor: 2, maxMs: 5000, jitter: 0 },
  ...over,
});

const sheet = (over: Partial<SheetInput> = {}) => startMachine(sheetMachine, input(over));

const FAIL = { type: 'FAILED', reason: 'failed', error: 'exit 1', at: 0, random: 0.5 } as const;
const OK = { type: 'SUCCEEDED', passRate: 1, at: 0, random: 0.5 } as const;
const run = [{ type: 'DISPATCH' }, { type: 'STARTED' }] as const;

describe('sheet machine', () => {
  it('starts pending and becomes ready when its dependencies are met', () => {
    const { actor, send } = sheet();
    expect(actor.getSnapshot().value).toBe('pending');
    expect(send({ type: 'DEPS_MET' }).value).toBe('ready');
  });

  it('goes ready → dispatched → running → completed on success', () => {
    const { send } = sheet();
    send({ type: 'DEPS_MET' });
    expect(send({ type: 'DISPATCH' }).value).toBe('dispatched');
    expect(send({ type: 'STARTED' }).value).toBe('running');
    const done = send(OK);
    expect(done.value).toBe('completed');
    expect(done.status).toBe('done');
    expect(done.context.attempts).toBe(1);
  });

  it('retries a failure while attempts remain, with a deadline from capped exponential backoff', () => {
    const { send } = sheet();
    send({ type: 'DEPS_MET' }, ...run);
    const first = send({ ...FAIL, at: 10_000 });
    expect(first.value).toBe('retry');
    expect(first.context.retryAt).toBe(11_000);
    expect(send({ type: 'RETRY_DUE' }).value).toBe('ready');
    const second = send(...run, { ...FAIL, at: 20_000 });
    expect(second.context.retryAt).toBe(22_000);
    send({ type: 'RETRY_DUE' }, ...run);
    const last = send(FAIL);
    expect(last.value).toBe('failed');
    expect(last.context.attempts).toBe(3);
    expect(last.context.lastError).toBe('exit 1');
  });

  it('fails at once when retries are 0', () => {
    const { send } = sheet({ maxAttempts: 1 });
    expect(send({ type: 'DEPS_MET' }, ...run, FAIL).value).toBe('failed');
  });

  it('can report an outcome straight from dispatched (a musician that could not start)', () => {
    const { send } = sheet({ maxAttempts: 1 });
    const s = send({ type: 'DEPS_MET' }, { type: 'DISPATCH' }, { ...FAIL, reason: 'unavailable' });
    expect(s.value).toBe('failed');
    expect(s.context.reason).toBe('unavailable');
  });

  it('waits on a rate limit without consuming an attempt, then returns to ready', () => {
    const { send } = sheet({ maxAttempts: 1 });
    const waiting = send({ type: 'DEPS_MET' }, ...run, { type: 'RATE_LIMITED', waitMs: 30_000, at: 5, maxLimitedRuns: 100 });
    expect(waiting.value).toBe('waiting');
    expect(waiting.context.waitUntil).toBe(30_005);
    expect(waiting.context.attempts).toBe(0);
    expect(send({ type: 'LIMIT_CLEARED' }).value).toBe('ready');
    expect(send(...run, OK).value).toBe('completed');
  });

  it('counts rate-limited runs apart from attempts, and fails on the maxLimitedRuns-th one', () => {
    const { send } = sheet({ maxAttempts: 5 });
    const limited = { type: 'RATE_LIMITED', waitMs: 1_000, at: 0, maxLimitedRuns: 3 } as const;
    send({ type: 'DEPS_MET' }, ...run, FAIL, { type: 'RETRY_DUE' });
    const second = send(...run, limited, { type: 'LIMIT_CLEARED' }, ...run, limited);
    expect(second.value).toBe('waiting');
    expect(second.context).toMatchObject({ attempts: 1, rateLimited: 2, dispatches: 3 });
    const third = send({ type: 'LIMIT_CLEARED' }, ...run, limited);
    expect(third.value).toBe('failed');
    expect(third.context).toMatchObject({ attempts: 1, rateLimited: 3, dispatches: 4, reason: 'rate_limited' });
    expect(third.context.lastError).toBe('rate-limited 3 times');
  });

  it('enters completion mode on a partial validation and completes on a full one', () => {
    const { send } = sheet();
    const partial = send({ type: 'DEPS_MET' }, ...run, { ...OK, passRate: 0.5 });
    expect(partial.value).toBe('completion');
    expect(partial.context.mode).toBe('completion');
    expect(send({ type: 'DISPATCH' }).value).toBe('dispatched');
    expect(send({ type: 'STARTED' }, OK).value).toBe('completed');
  });

  it('never loops in completion mode: completion attempts are bounded', () => {
    const { send } = sheet({ maxAttempts: 1, completionAttempts: 2 });
    send({ type: 'DEPS_MET' }, ...run);
    let s = send({ ...OK, passRate: 0.5 });
    let loops = 0;
    while (s.value === 'completion' && loops++ < 10) s = send(...run, { ...OK, passRate: 0.5 });
    expect(s.value).toBe('failed');
    expect(s.context.reason).toBe('validation_failed');
    expect(s.context.completionUsed).toBe(2);
  });

  it('treats a success with 0% of validations passing as a failed attempt', () => {
    const { send } = sheet({ maxAttempts: 2 });
    const s = send({ type: 'DEPS_MET' }, ...run, { ...OK, passRate: 0 });
    expect(s.value).toBe('retry');
    expect(s.context.attempts).toBe(1);
    expect(s.context.reason).toBe('validation_failed');
  });

  it('moves down the fallback chain with fresh attempts once attempts run out', () => {
    const { send } = sheet({ maxAttempts: 1, fallbacks: 1 });
    const moved = send({ type: 'DEPS_MET' }, ...run, FAIL);
    expect(moved.value).toBe('ready');
    expect(moved.context.instrumentIndex).toBe(1);
    expect(moved.context.attempts).toBe(0);
    expect(send(...run, FAIL).value).toBe('failed');
  });

  it('heals once, in healing mode, before failing', () => {
    const { send } = sheet({ maxAttempts: 1, heal: true });
    const healing = send({ type: 'DEPS_MET' }, ...run, FAIL);
    expect(healing.value).toBe('retry');
    expect(healing.context.mode).toBe('healing');
    const s = send({ type: 'RETRY_DUE' }, ...run, FAIL);
    expect(s.value).toBe('failed');
    expect(s.context.healed).toBe(true);
  });

  it('escalates exhausted sheets to a fermata and obeys each decision', () => {
    const decide = (decision: 'retry' | 'skip' | 'fail' | 'accept') => {
      const { send } = sheet({ maxAttempts: 1, escalate: true });
      expect(send({ type: 'DEPS_MET' }, ...run, FAIL).value).toBe('fermata');
      return send({ type: 'DECIDE', decision });
    };
    const accepted = decide('accept');
    expect(accepted.value).toBe('completed');
    expect(accepted.context.reason).toBeNull();
    expect(decide('fail').value).toBe('failed');
    const skipped = decide('skip');
    expect(skipped.value).toBe('skipped');
    expect(skipped.context.skipCause).toBe('decision');
    const retried = decide('retry');
    expect(retried.value).toBe('ready');
    expect(retried.context.attempts).toBe(0);
  });

  it('is skipped or failed by a failed dependency according to its policy', () => {
    const skip = sheet().send({ type: 'DEPENDENCY_FAILED', policy: 'skip' });
    expect(skip.value).toBe('skipped');
    expect(skip.context.skipCause).toBe('dependency');
    expect(sheet().send({ type: 'DEPENDENCY_FAILED', policy: 'fail' }).value).toBe('failed');
  });

  it('can be cancelled from every non-terminal state', () => {
    const paths: SheetEvent[][] = [
      [],
      [{ type: 'DEPS_MET' }],
      [{ type: 'DEPS_MET' }, { type: 'DISPATCH' }],
      [{ type: 'DEPS_MET' }, ...run],
      [{ type: 'DEPS_MET' }, ...run, FAIL],
      [{ type: 'DEPS_MET' }, ...run, { type: 'RATE_LIMITED', waitMs: 1, at: 0, maxLimitedRuns: 100 }],
    ];
    for (const path of paths) {
      const { send } = sheet();
      expect(send(...path, { type: 'CANCEL' }).value).toBe('cancelled');
    }
  });

  it('ignores events that do not apply to its state', () => {
    const { send } = sheet();
    expect(send({ type: 'DISPATCH' }, OK, { type: 'RETRY_DUE' }).value).toBe('pending');
  });

  it('fails at once with reason budget when an attempt leaves the sheet over its budget', () => {
    const { send } = sheet({ maxAttempts: 3, fallbacks: 1, escalate: true });
    const s = send({ type: 'DEPS_MET' }, ...run, { type: 'OVER_BUDGET', error: 'spent $0.60 of its $0.50 budget' });
    expect(s.value).toBe('failed');
    expect(s.context.reason).toBe('budget');
    expect(s.context.attempts).toBe(1);
  });

  it('moves a ready sheet to its fallback when its instrument is unavailable, and stays when it has none', () => {
    const moved = sheet({ fallbacks: 1 }).send({ type: 'DEPS_MET' }, { type: 'UNAVAILABLE', error: 'circuit open' });
    expect(moved.value).toBe('ready');
    expect(moved.context).toMatchObject({ instrumentIndex: 1, reason: 'unavailable', lastError: 'circuit open' });
    const stays = sheet({ fallbacks: 0 }).send({ type: 'DEPS_MET' }, { type: 'UNAVAILABLE', error: 'circuit open' });
    expect(stays.context.instrumentIndex).toBe(0);
  });

  it('skips the retries of a program that cannot start when a fallback exists', () => {
    const s = sheet({ maxAttempts: 5, fallbacks: 1 }).send({ type: 'DEPS_MET' }, { type: 'DISPATCH' }, { ...FAIL, reason: 'unavailable' });
    expect(s.value).toBe('ready');
    expect(s.context.instrumentIndex).toBe(1);
  });
});

describe('backoff', () => {
  const policy = { initialMs: 1000, factor: 2, maxMs: 10_000, jitter: 0 };
  it('grows exponentially and is capped', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(policy, n, 0.5))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
  it('spreads by ±jitter and never exceeds the cap', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(jittered, 1, 0)).toBe(500);
    expect(backoffDelay(jittered, 1, 0.999999)).toBe(1500);
    expect(backoffDelay(jittered, 10, 0.999999)).toBe(10_000);
  });
});
