import { beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/index.js';
import { RateLimitCoordinator, type RateLimitChange } from '../../src/runtime/gates/rate-limits.js';

let t = 0;
const clock = { now: () => t };
const src = (sheetId = 's1', model?: string) => ({ jobId: 'j1', sheetId, ...(model !== undefined && { model }) });

let rl: RateLimitCoordinator;
let changes: RateLimitChange[];

beforeEach(() => {
  t = 1_000;
  rl = new RateLimitCoordinator(clock);
  changes = [];
  rl.onChange((c) => changes.push(c));
});

describe('report', () => {
  it('sets a limit from now and announces it', () => {
    const limit = rl.report('claude', 30_000, src());
    expect(limit).toEqual({ instrument: 'claude', until: 31_000, reportedAt: 1_000, source: { jobId: 'j1', sheetId: 's1' } });
    expect(changes).toEqual([{ type: 'active', limit }]);
    expect(rl.isRateLimited('claude')).toEqual({ limited: true, remainingMs: 30_000 });
  });

  it('lets a later resume time win', () => {
    rl.report('claude', 10_000, src('a'));
    t = 2_000;
    const later = rl.report('claude', 20_000, src('b'));
    expect(later.until).toBe(22_000);
    expect(later.source.sheetId).toBe('b');
    expect(rl.isRateLimited('claude').remainingMs).toBe(20_000);
    expect(changes.map((c) => c.type)).toEqual(['active', 'active']);
  });

  it('never lets an earlier (or equal) resume time win, and announces nothing then', () => {
    const first = rl.report('claude', 60_000, src('a'));
    t = 5_000;
    expect(rl.report('claude', 1_000, src('b'))).toBe(first);
    expect(rl.report('claude', 56_000, src('c'))).toBe(first); // same until: 61_000
    expect(rl.isRateLimited('claude').remainingMs).toBe(56_000);
    expect(changes).toHaveLength(1);
  });

  it('replaces an expired limit even by a shorter one, announcing the expiry first', () => {
    rl.report('claude', 60_000, src('a'));
    t = 100_000;
    const next = rl.report('claude', 5_000, src('b'));
    expect(next.until).toBe(105_000);
    expect(changes.slice(1)).toEqual([
      { type: 'cleared', instrument: 'claude', reason: 'expired' },
      { type: 'active', limit: next },
    ]);
  });

  it('treats a wait of 0 as no limit: nothing stored or announced', () => {
    const limit = rl.report('claude', 0, src());
    expect(limit.until).toBe(t);
    expect(rl.isRateLimited('claude')).toEqual({ limited: false, remainingMs: 0 });
    expect(rl.activeLimits()).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('counts a negative wait as 0 and rejects a non-finite one', () => {
    expect(rl.report('claude', -5, src()).until).toBe(t);
    expect(() => rl.report('claude', Number.NaN, src())).toThrow(RangeError);
    expect(() => rl.report('claude', Infinity, src())).toThrow(RangeError);
    expect(rl.activeLimits()).toEqual([]);
  });

  it('keys by model when the source has one', () => {
    const limit = rl.report('claude', 10_000, src('a', 'opus'));
    expect(limit.model).toBe('opus');
    expect(rl.isRateLimited('claude', 'opus').limited).toBe(true);
    expect(rl.isRateLimited('claude', 'haiku').limited).toBe(false);
    expect(rl.isRateLimited('claude').limited).toBe(false);
  });

  it("treats an empty model as no model (instrument-wide)", () => {
    const limit = rl.report('claude', 10_000, src('a', ''));
    expect(limit.model).toBeUndefined();
    expect(rl.isRateLimited('claude', 'haiku').limited).toBe(true);
  });

  it('returns a frozen limit that does not alias the caller’s source', () => {
    const source = src('a', 'opus');
    const limit = rl.report('claude', 10_000, source);
    source.sheetId = 'changed';
    expect(limit.source.sheetId).toBe('a');
    expect(Object.isFrozen(limit)).toBe(true);
    expect(Object.isFrozen(limit.source)).toBe(true);
  });

  it('keeps instruments apart', () => {
    rl.report('claude', 10_000, src());
    expect(rl.isRateLimited('codex').limited).toBe(false);
  });
});

describe('isRateLimited', () => {
  it('applies an instrument-wide limit to every model', () => {
    rl.report('claude', 10_000, src());
    expect(rl.isRateLimited('claude', 'opus')).toEqual({ limited: true, remainingMs: 10_000 });
    expect(rl.isRateLimited('claude', 'haiku')).toEqual({ limited: true, remainingMs: 10_000 });
  });

  it('takes the later of the instrument-wide and the model limit', () => {
    rl.report('claude', 10_000, src('a'));
    rl.report('claude', 30_000, src('b', 'opus'));
    expect(rl.isRateLimited('claude', 'opus').remainingMs).toBe(30_000);
    expect(rl.isRateLimited('claude', 'haiku').remainingMs).toBe(10_000);
    expect(rl.isRateLimited('claude').remainingMs).toBe(10_000);
    rl.report('claude', 50_000, src('c'));
    expect(rl.isRateLimited('claude', 'opus').remainingMs).toBe(50_000);
  });

  it('counts down with the clock and ends exactly at until', () => {
    rl.report('claude', 10_000, src());
    t += 9_999;
    expect(rl.isRateLimited('claude')).toEqual({ limited: true, remainingMs: 1 });
    t += 1;
    expect(rl.isRateLimited('claude')).toEqual({ limited: false, remainingMs: 0 });
  });

  it('changes nothing (expired limits are announced by prune, not by queries)', () => {
    rl.report('claude', 10_000, src());
    t += 20_000;
    rl.isRateLimited('claude');
    rl.activeLimits();
    rl.nextExpiry();
    expect(changes).toHaveLength(1);
  });
});

describe('activeLimits', () => {
  it('lists unexpired limits by instrument then model, instrument-wide first', () => {
    rl.report('codex', 5_000, src());
    rl.report('claude', 50_000, src('a', 'opus'));
    rl.report('claude', 20_000, src('b'));
    rl.report('claude', 1_000, src('c', 'haiku'));
    t += 2_000;
    expect(rl.activeLimits().map((l) => [l.instrument, l.model])).toEqual([
      ['claude', undefined],
      ['claude', 'opus'],
      ['codex', undefined],
    ]);
  });
});

describe('clear', () => {
  beforeEach(() => {
    rl.report('claude', 10_000, src('a'));
    rl.report('claude', 10_000, src('b', 'opus'));
    rl.report('claude-2', 10_000, src('c'));
    rl.report('codex', 10_000, src('d'));
    changes.length = 0;
  });

  it('clears exactly that instrument, all its models', () => {
    expect(rl.clear('claude')).toBe(2);
    expect(rl.isRateLimited('claude', 'opus').limited).toBe(false);
    expect(rl.isRateLimited('claude-2').limited).toBe(true);
    expect(rl.isRateLimited('codex').limited).toBe(true);
    expect(changes).toEqual([
      { type: 'cleared', instrument: 'claude', reason: 'cleared' },
      { type: 'cleared', instrument: 'claude', model: 'opus', reason: 'cleared' },
    ]);
  });

  it('clears nothing for an unknown or empty name', () => {
    expect(rl.clear('cla')).toBe(0);
    expect(rl.clear('')).toBe(0);
    expect(rl.clear('CLAUDE')).toBe(0);
    expect(rl.activeLimits()).toHaveLength(4);
    expect(changes).toEqual([]);
  });

  it('clears everything when no instrument is given', () => {
    expect(rl.clear()).toBe(4);
    expect(rl.activeLimits()).toEqual([]);
    expect(rl.clear()).toBe(0);
    expect(changes).toHaveLength(4);
  });

  it('does not count expired limits, announcing them as expired', () => {
    rl.report('codex', 100_000, src('e', 'gpt'));
    changes.length = 0;
    t += 50_000;
    expect(rl.clear('codex')).toBe(1);
    expect(changes).toEqual([
      { type: 'cleared', instrument: 'codex', reason: 'expired' },
      { type: 'cleared', instrument: 'codex', model: 'gpt', reason: 'cleared' },
    ]);
  });
});

describe('prune', () => {
  it('drops expired limits, returns how many, announces each as expired', () => {
    rl.report('a', 1_000, src());
    rl.report('b', 2_000, src('x', 'm'));
    rl.report('c', 3_000, src());
    changes.length = 0;
    t += 2_000;
    expect(rl.prune()).toBe(2);
    expect(changes).toEqual([
      { type: 'cleared', instrument: 'a', reason: 'expired' },
      { type: 'cleared', instrument: 'b', model: 'm', reason: 'expired' },
    ]);
    expect(rl.prune()).toBe(0);
    expect(rl.activeLimits().map((l) => l.instrument)).toEqual(['c']);
    t += 1_000;
    expect(rl.prune()).toBe(1);
    expect(rl.clear()).toBe(0);
  });
});

describe('nextExpiry', () => {
  it('is the earliest until among active limits', () => {
    expect(rl.nextExpiry()).toBeUndefined();
    rl.report('a', 5_000, src());
    rl.report('b', 2_000, src('x', 'm'));
    expect(rl.nextExpiry()).toBe(3_000);
    t = 3_000;
    expect(rl.nextExpiry()).toBe(6_000);
    t = 6_000;
    expect(rl.nextExpiry()).toBeUndefined();
  });
});

describe('history', () => {
  it('records changes oldest first', () => {
    const a = rl.report('a', 1_000, src());
    rl.clear('a');
    expect(rl.history()).toEqual([
      { type: 'active', limit: a },
      { type: 'cleared', instrument: 'a', reason: 'cleared' },
    ]);
  });

  it('is bounded by historyLimit, keeping the most recent', () => {
    const small = new RateLimitCoordinator(clock, { historyLimit: 3 });
    for (let i = 0; i < 10; i++) {
      small.report(`i${i}`, 1_000, src());
      expect(small.history().length).toBeLessThanOrEqual(3);
    }
    expect(small.history().map((c) => (c.type === 'active' ? c.limit.instrument : '?'))).toEqual(['i7', 'i8', 'i9']);
    small.prune();
    expect(small.history()).toHaveLength(3);
  });

  it('defaults to 1000 entries', () => {
    for (let i = 0; i < 1_500; i++) rl.report(`i${i}`, 1_000, src());
    expect(rl.history()).toHaveLength(1_000);
  });

  it('keeps nothing with historyLimit 0 and rejects a bad limit', () => {
    const none = new RateLimitCoordinator(clock, { historyLimit: 0 });
    none.report('a', 1_000, src());
    expect(none.history()).toEqual([]);
    expect(() => new RateLimitCoordinator(clock, { historyLimit: -1 })).toThrow(RangeError);
    expect(() => new RateLimitCoordinator(clock, { historyLimit: 1.5 })).toThrow(RangeError);
  });

  it('returns a copy', () => {
    rl.report('a', 1_000, src());
    (rl.history() as RateLimitChange[]).length = 0;
    expect(rl.history()).toHaveLength(1);
  });
});

describe('onChange', () => {
  it('stops calling a listener once unsubscribed', () => {
    const seen: RateLimitChange[] = [];
    const off = rl.onChange((c) => seen.push(c));
    rl.report('a', 1_000, src());
    off();
    off();
    rl.report('b', 1_000, src());
    expect(seen).toHaveLength(1);
    expect(changes).toHaveLength(2);
  });

  it('survives a throwing listener, and the other listeners still hear', () => {
    const fresh = new RateLimitCoordinator(clock);
    const seen: string[] = [];
    fresh.onChange(() => {
      throw new Error('boom');
    });
    fresh.onChange((c) => seen.push(c.type));
    expect(() => fresh.report('a', 1_000, src())).not.toThrow();
    expect(fresh.isRateLimited('a').limited).toBe(true);
    expect(() => fresh.clear('a')).not.toThrow();
    expect(seen).toEqual(['active', 'cleared']);
  });

  it('delivers changes made by a listener after the current one, to everyone, in history order', () => {
    const fresh = new RateLimitCoordinator(clock);
    const first: RateLimitChange[] = [];
    const second: RateLimitChange[] = [];
    fresh.onChange((c) => {
      first.push(c);
      // On any clear of "a", also limit "b" (a listener reacting by reporting).
      if (c.type === 'cleared' && c.instrument === 'a') fresh.report('b', 5_000, src());
    });
    fresh.onChange((c) => second.push(c));
    fresh.report('a', 1_000, src());
    fresh.report('a', 1_000, src('x', 'm'));
    fresh.clear('a');
    expect(first).toEqual(fresh.history());
    expect(second).toEqual(fresh.history());
    expect(fresh.history().map((c) => c.type)).toEqual(['active', 'active', 'cleared', 'cleared', 'active']);
    expect(fresh.isRateLimited('b').limited).toBe(true);
  });

  it('lets the same function subscribe twice and unsubscribe each independently', () => {
    const fresh = new RateLimitCoordinator(clock);
    let calls = 0;
    const listener = () => void calls++;
    const offA = fresh.onChange(listener);
    fresh.onChange(listener);
    fresh.report('a', 1_000, src());
    expect(calls).toBe(2);
    offA();
    fresh.report('b', 1_000, src());
    expect(calls).toBe(3);
  });
});

describe('with the runtime clock', () => {
  it('reads time from a VirtualClock (an RxJS scheduler)', () => {
    const virtual = new VirtualClock(500);
    const coordinator = new RateLimitCoordinator(virtual);
    coordinator.report('a', 1_000, src());
    expect(coordinator.nextExpiry()).toBe(1_500);
    virtual.advanceBy(400);
    expect(coordinator.isRateLimited('a')).toEqual({ limited: true, remainingMs: 600 });
    virtual.advanceTo(1_500);
    expect(coordinator.isRateLimited('a').limited).toBe(false);
    expect(coordinator.prune()).toBe(1);
  });
});

describe('nextPrune', () => {
  it('is the earliest until of every limit held, an expired one not yet pruned included', () => {
    expect(rl.nextPrune()).toBeUndefined();
    rl.report('a', 5_000, src());
    rl.report('b', 2_000, src());
    expect(rl.nextPrune()).toBe(3_000);
    t = 4_000;
    // b ended but is still held: prune() has work now, though nextExpiry() looks past it.
    expect(rl.nextExpiry()).toBe(6_000);
    expect(rl.nextPrune()).toBe(3_000);
    rl.prune();
    expect(rl.nextPrune()).toBe(6_000);
    t = 6_000;
    rl.prune();
    expect(rl.nextPrune()).toBeUndefined();
  });
});
