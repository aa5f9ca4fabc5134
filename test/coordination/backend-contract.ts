import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoordinationBackend, SharedBreaker } from '../../src/coordination/backend.js';

/** Two backends on one shared store (two conductors' views of it), and how to dispose of them. */
export interface BackendPair {
  readonly a: CoordinationBackend;
  readonly b: CoordinationBackend;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const openBreaker = (reopenInMs: number): SharedBreaker => ({
  value: 'open',
  context: {
    failures: 2,
    baseCooldownMs: 1000,
    maxCooldownMs: 10_000,
    growth: 2,
    consecutiveFailures: 2,
    opens: 1,
    openedAt: -5,
    reopenAt: reopenInMs,
    cooldownMs: 1000,
    probeInFlight: false,
  },
});

/**
 * What every coordination backend does, checked through two handles on one store. Times
 * are only ever checked as bounds that a slow machine cannot break.
 */
export function backendContract(name: string, openPair: () => Promise<BackendPair>): void {
  describe(`${name} coordination backend`, () => {
    let pair: BackendPair;
    beforeEach(async () => {
      pair = await openPair();
    });
    afterEach(async () => {
      await pair.close();
    });

    it('names itself without secrets', () => {
      expect(pair.a.target).toMatch(/^(sqlite:|redis:\/\/)/);
      expect(pair.a.target).not.toMatch(/:[^/@:]*@/);
    });

    it('starts empty', async () => {
      expect(await pair.a.read()).toEqual({ limits: [], breakers: [], slots: [] });
    });

    it('shares a rate limit, and the later end wins', async () => {
      expect(await pair.a.reportLimit('api', null, 60_000)).toBeGreaterThan(59_000);
      // A shorter report never shortens it.
      const inForce = await pair.b.reportLimit('api', null, 1_000);
      expect(inForce).toBeGreaterThan(59_000);
      const seen = await pair.b.read();
      expect(seen.limits).toHaveLength(1);
      expect(seen.limits[0]).toMatchObject({ identity: 'api', model: null });
      expect(seen.limits[0]!.remainingMs).toBeGreaterThan(58_000);
      expect(seen.limits[0]!.remainingMs).toBeLessThanOrEqual(60_000);
      // A longer one lengthens it.
      expect(await pair.b.reportLimit('api', null, 120_000)).toBeGreaterThan(119_000);
    });

    it('keeps a model limit apart from the instrument-wide one, and clears one without the other', async () => {
      await pair.a.reportLimit('api', 'small', 30_000);
      await pair.a.reportLimit('api', null, 30_000);
      await pair.b.clearLimit('api', null);
      const { limits } = await pair.a.read();
      expect(limits.map((l) => [l.identity, l.model])).toEqual([['api', 'small']]);
    });

    it('ignores a report that is not in the future', async () => {
      expect(await pair.a.reportLimit('api', null, 0)).toBe(0);
      expect(await pair.a.reportLimit('api', null, -5)).toBe(0);
      expect((await pair.b.read()).limits).toEqual([]);
    });

    it('forgets a limit once it has ended', async () => {
      await pair.a.reportLimit('api', null, 150);
      await sleep(400);
      expect((await pair.b.read()).limits).toEqual([]);
    });

    it('writes a breaker by compare-and-set, with its times relative to now', async () => {
      expect(await pair.a.writeBreaker('api', 0, openBreaker(60_000))).toBe(true);
      // A second writer that read version 0 too loses.
      expect(await pair.b.writeBreaker('api', 0, openBreaker(1))).toBe(false);
      const { breakers } = await pair.b.read();
      expect(breakers).toHaveLength(1);
      const [stored] = breakers;
      expect(stored).toMatchObject({ identity: 'api', version: 1, value: 'open' });
      expect(stored!.context.reopenAt).toBeGreaterThan(58_000);
      expect(stored!.context.reopenAt).toBeLessThanOrEqual(60_000);
      expect(stored!.context.openedAt).toBeLessThanOrEqual(-5);
      expect(stored!.context.consecutiveFailures).toBe(2);
      expect(await pair.b.writeBreaker('api', 1, { ...openBreaker(0), value: 'halfOpen' })).toBe(true);
      expect((await pair.a.read()).breakers[0]).toMatchObject({ version: 2, value: 'halfOpen' });
      expect(await pair.a.writeBreaker('api', 2, null)).toBe(true);
      expect((await pair.b.read()).breakers).toEqual([]);
    });

    it('keeps null times null', async () => {
      const closed: SharedBreaker = { value: 'closed', context: { ...openBreaker(0).context, openedAt: null, reopenAt: null, cooldownMs: null, opens: 0, consecutiveFailures: 1 } };
      expect(await pair.a.writeBreaker('api', 0, closed)).toBe(true);
      expect((await pair.b.read()).breakers[0]!.context).toEqual(closed.context);
    });

    it('grants at most `limit` slots across handles, and a holder keeps its own', async () => {
      expect(await pair.a.claimSlot('api', 'a1', 2, 10_000)).toBe(true);
      expect(await pair.b.claimSlot('api', 'b1', 2, 10_000)).toBe(true);
      expect(await pair.b.claimSlot('api', 'b2', 2, 10_000)).toBe(false);
      expect(await pair.a.claimSlot('api', 'a1', 2, 10_000)).toBe(true);
      const { slots } = await pair.a.read();
      expect(slots).toHaveLength(1);
      expect(slots[0]!.identity).toBe('api');
      expect(slots[0]!.holders.map((h) => h.holder).sort()).toEqual(['a1', 'b1']);
      await pair.a.releaseSlot('api', 'a1');
      expect(await pair.b.claimSlot('api', 'b2', 2, 10_000)).toBe(true);
      // Other identities have slots of their own.
      expect(await pair.b.claimSlot('other', 'b3', 1, 10_000)).toBe(true);
    });

    it('frees a slot whose lease ran out, and says so on renewal', async () => {
      expect(await pair.a.claimSlot('api', 'dead', 2, 150)).toBe(true);
      expect(await pair.a.claimSlot('api', 'live', 2, 10_000)).toBe(true);
      await sleep(400);
      expect(await pair.b.claimSlot('api', 'next', 2, 10_000)).toBe(true);
      expect(await pair.a.renewSlots('api', ['dead', 'live'], 10_000)).toEqual(['dead']);
      const { slots } = await pair.b.read();
      expect(slots[0]!.holders.map((h) => h.holder).sort()).toEqual(['live', 'next']);
    });

    it('renews leases so that they outlive their first term', async () => {
      expect(await pair.a.claimSlot('api', 'a1', 1, 300)).toBe(true);
      for (let i = 0; i < 4; i++) {
        await sleep(100);
        expect(await pair.a.renewSlots('api', ['a1'], 300)).toEqual([]);
      }
      expect(await pair.b.claimSlot('api', 'b1', 1, 300)).toBe(false);
    });

    it('serialises claims: of many racing claims, exactly `limit` win', async () => {
      const claims = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? pair.a : pair.b).claimSlot('api', `h${i}`, 3, 10_000));
      const granted = (await Promise.all(claims)).filter(Boolean);
      expect(granted).toHaveLength(3);
    });

    it('serialises breaker writes: of many racing writes from one version, exactly one wins', async () => {
      const writes = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? pair.a : pair.b).writeBreaker('api', 0, openBreaker(1000 + i)));
      expect((await Promise.all(writes)).filter(Boolean)).toHaveLength(1);
    });
  });
}
