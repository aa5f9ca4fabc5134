import { describe, expect, expectTypeOf, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  breakerAllows,
  breakerCooldownMs,
  breakerMachine,
  type BreakerInput,
  type BreakerSnapshot,
  type BreakerState,
} from '../../src/machines/breaker.js';
import { startMachine } from '../support/machines.js';

const input = (over: Partial<BreakerInput> = {}): BreakerInput => ({
  failures: 3,
  cooldownMs: 1000,
  ...over,
});

const breaker = (over: Partial<BreakerInput> = {}) => startMachine(breakerMachine, input(over));

const fail = (at = 0) => ({ type: 'FAILURE', at }) as const;
const OK = { type: 'SUCCESS' } as const;
const ELAPSED = { type: 'COOLDOWN_ELAPSED' } as const;
const PROBE = { type: 'PROBE_STARTED' } as const;
const RESET = { type: 'RESET' } as const;

const closedContext = {
  consecutiveFailures: 0,
  opens: 0,
  openedAt: null,
  reopenAt: null,
  cooldownMs: null,
  probeInFlight: false,
};

describe('breaker machine (actor)', () => {
  it('starts closed with defaults: cap 10 × cooldown, growth 2', () => {
    const { actor } = breaker();
    const snap = actor.getSnapshot();
    expect(snap.value).toBe('closed');
    expect(snap.context).toEqual({
      failures: 3,
      baseCooldownMs: 1000,
      maxCooldownMs: 10_000,
      growth: 2,
      ...closedContext,
    });
    expect(breakerAllows(snap)).toBe('any');
  });

  it('counts consecutive failures in closed and a success resets the count', () => {
    const { send } = breaker();
    expect(send(fail()).context.consecutiveFailures).toBe(1);
    const two = send(fail());
    expect(two.value).toBe('closed');
    expect(two.context.consecutiveFailures).toBe(2);
    const ok = send(OK);
    expect(ok.value).toBe('closed');
    expect(ok.context.consecutiveFailures).toBe(0);
    // Two more failures are not enough after the reset.
    expect(send(fail(), fail()).value).toBe('closed');
  });

  it('opens on exactly `failures` consecutive failures, with reopenAt = at + cooldown', () => {
    const { send } = breaker();
    send(fail(100), fail(200));
    const open = send(fail(5_000));
    expect(open.value).toBe('open');
    expect(open.context).toMatchObject({
      consecutiveFailures: 3,
      opens: 1,
      openedAt: 5_000,
      reopenAt: 6_000,
      cooldownMs: 1000,
      probeInFlight: false,
    });
    expect(breakerAllows(open)).toBe('none');
  });

  it('opens on the first failure when failures is 1', () => {
    const { send } = breaker({ failures: 1 });
    expect(send(fail(7)).value).toBe('open');
  });

  it('ignores late outcomes, probe starts and stray events while open', () => {
    const { actor, send } = breaker();
    const open = send(fail(), fail(), fail(10));
    for (const e of [fail(50), OK, PROBE, fail(60)]) {
      const next = send(e);
      expect(next.value).toBe('open');
      expect(next.context).toEqual(open.context);
    }
    expect(actor.getSnapshot().context.reopenAt).toBe(1010);
  });

  it('half-opens when the cool-down elapses and lets exactly one probe through', () => {
    const { send } = breaker();
    send(fail(), fail(), fail(0));
    const half = send(ELAPSED);
    expect(half.value).toBe('halfOpen');
    expect(half.context.probeInFlight).toBe(false);
    expect(breakerAllows(half)).toBe('one');

    const probing = send(PROBE);
    expect(probing.value).toBe('halfOpen');
    expect(probing.context.probeInFlight).toBe(true);
    expect(breakerAllows(probing)).toBe('none');

    // A second PROBE_STARTED is a conductor bug; the machine ignores it.
    const again = send(PROBE);
    expect(again.value).toBe('halfOpen');
    expect(again.context).toEqual(probing.context);
    // So is a second COOLDOWN_ELAPSED.
    expect(send(ELAPSED).context).toEqual(probing.context);
  });

  it('closes on a success in halfOpen, forgetting every failure and opening', () => {
    const { send } = breaker();
    send(fail(), fail(), fail(0), ELAPSED, PROBE, fail(2_000), ELAPSED, PROBE);
    const closed = send(OK);
    expect(closed.value).toBe('closed');
    expect(closed.context).toMatchObject(closedContext);
    expect(breakerAllows(closed)).toBe('any');
    // The next opening starts from the base cool-down again.
    expect(send(fail(), fail(), fail(9_000)).context).toMatchObject({ opens: 1, cooldownMs: 1000, reopenAt: 10_000 });
  });

  it('reopens on a probe failure with the grown cool-down', () => {
    const { send } = breaker();
    send(fail(), fail(), fail(0), ELAPSED, PROBE);
    const reopened = send(fail(1_000));
    expect(reopened.value).toBe('open');
    expect(reopened.context).toMatchObject({
      opens: 2,
      openedAt: 1_000,
      cooldownMs: 2_000,
      reopenAt: 3_000,
      probeInFlight: false,
    });
  });

  it('grows the cool-down on each opening in a row and caps it', () => {
    const { send } = breaker({ cooldownMs: 1000, growth: 3, maxCooldownMs: 5000 });
    send(fail(), fail(), fail(0));
    const seen: Array<[number | null, number | null]> = [];
    let at = 0;
    let snap = send(ELAPSED);
    for (let i = 0; i < 4; i++) {
      at += 100_000;
      snap = send(PROBE, fail(at));
      seen.push([snap.context.cooldownMs, (snap.context.reopenAt ?? 0) - at]);
      send(ELAPSED);
    }
    expect(seen).toEqual([
      [3000, 3000],
      [5000, 5000],
      [5000, 5000],
      [5000, 5000],
    ]);
    expect(snap.context.opens).toBe(5);
  });

  it('uses the default cap of 10 × cooldown with the default growth of 2', () => {
    const { send } = breaker({ failures: 1, cooldownMs: 100 });
    const cooldowns: Array<number | null> = [send(fail(0)).context.cooldownMs];
    for (let i = 0; i < 5; i++) cooldowns.push(send(ELAPSED, fail(0)).context.cooldownMs);
    expect(cooldowns).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('a failure in halfOpen reopens even before PROBE_STARTED (the outcome is what counts)', () => {
    const { send } = breaker({ failures: 1 });
    send(fail(0), ELAPSED);
    expect(send(fail(10)).value).toBe('open');
  });

  it.each([
    ['closed', [fail(), fail()]],
    ['open', [fail(), fail(), fail()]],
    ['halfOpen', [fail(), fail(), fail(), ELAPSED]],
    ['halfOpen with a probe in flight', [fail(), fail(), fail(), ELAPSED, PROBE]],
  ] as const)('RESET from %s closes and forgets everything', (_, events) => {
    const { send } = breaker();
    send(...events);
    const reset = send(RESET);
    expect(reset.value).toBe('closed');
    expect(reset.context).toMatchObject(closedContext);
    expect(breakerAllows(reset)).toBe('any');
  });

  it('ignores COOLDOWN_ELAPSED and PROBE_STARTED while closed', () => {
    const { send } = breaker();
    const snap = send(fail(), ELAPSED, PROBE);
    expect(snap.value).toBe('closed');
    expect(snap.context.consecutiveFailures).toBe(1);
    expect(snap.context.probeInFlight).toBe(false);
  });

  it('normalises its input: failures ≥ 1, growth ≥ 1, cap ≥ cooldown', () => {
    const { actor } = breaker({ failures: 0, cooldownMs: 1000, maxCooldownMs: 10, growth: 0.5 });
    expect(actor.getSnapshot().context).toMatchObject({
      failures: 1,
      baseCooldownMs: 1000,
      maxCooldownMs: 1000,
      growth: 1,
    });
  });
});

describe('breaker machine (pure transition)', () => {
  it('walks closed → open → halfOpen → open → halfOpen → closed without an actor', () => {
    const [initial] = initialTransition(breakerMachine, input({ failures: 2 }));
    expect(initial.value).toBe('closed');

    const [one] = transition(breakerMachine, initial, fail(0));
    expect(one.value).toBe('closed');
    expect(one.context.consecutiveFailures).toBe(1);
    // Pure: the previous snapshot is untouched.
    expect(initial.context.consecutiveFailures).toBe(0);

    const [open] = transition(breakerMachine, one, fail(500));
    expect(open.value).toBe('open');
    expect(open.context).toMatchObject({ opens: 1, openedAt: 500, reopenAt: 1500, cooldownMs: 1000 });

    const [stillOpen] = transition(breakerMachine, open, OK);
    expect(stillOpen.value).toBe('open');
    expect(stillOpen.context).toEqual(open.context);

    const [half] = transition(breakerMachine, open, ELAPSED);
    expect(half.value).toBe('halfOpen');
    expect(breakerAllows(half)).toBe('one');

    const [probing] = transition(breakerMachine, half, PROBE);
    expect(breakerAllows(probing)).toBe('none');
    const [twice] = transition(breakerMachine, probing, PROBE);
    expect(twice.context.probeInFlight).toBe(true);
    expect(twice.value).toBe('halfOpen');

    const [reopened] = transition(breakerMachine, probing, fail(2_000));
    expect(reopened.value).toBe('open');
    expect(reopened.context).toMatchObject({ opens: 2, openedAt: 2_000, reopenAt: 4_000, cooldownMs: 2_000 });

    const [half2] = transition(breakerMachine, reopened, ELAPSED);
    const [probing2] = transition(breakerMachine, half2, PROBE);
    const [closed] = transition(breakerMachine, probing2, OK);
    expect(closed.value).toBe('closed');
    expect(closed.context).toMatchObject(closedContext);
  });

  it('RESET from open through the pure API', () => {
    const [initial] = initialTransition(breakerMachine, input({ failures: 1 }));
    const [open] = transition(breakerMachine, initial, fail(3));
    const [reset] = transition(breakerMachine, open, RESET);
    expect(reset.value).toBe('closed');
    expect(reset.context).toMatchObject(closedContext);
  });
});

describe('breakerCooldownMs', () => {
  it('is base × growth^(opens − 1), capped', () => {
    const config = { baseCooldownMs: 1000, maxCooldownMs: 7000, growth: 2 };
    expect([1, 2, 3, 4, 5].map((n) => breakerCooldownMs(config, n))).toEqual([1000, 2000, 4000, 7000, 7000]);
    expect(breakerCooldownMs(config, 10_000)).toBe(7000);
  });
});

describe('breakerAllows', () => {
  it('works on plain persisted value/context pairs', () => {
    expect(breakerAllows({ value: 'closed', context: { probeInFlight: false } })).toBe('any');
    expect(breakerAllows({ value: 'open', context: { probeInFlight: false } })).toBe('none');
    expect(breakerAllows({ value: 'halfOpen', context: { probeInFlight: false } })).toBe('one');
    expect(breakerAllows({ value: 'halfOpen', context: { probeInFlight: true } })).toBe('none');
  });

  it('types snapshot values as the public state names', () => {
    expectTypeOf<BreakerSnapshot['value']>().toEqualTypeOf<BreakerState>();
  });
});
