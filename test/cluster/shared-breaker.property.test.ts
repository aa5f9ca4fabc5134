import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteCoordination } from '../../src/cluster/index.js';
import type { BreakerEvent, BreakerInput } from '../../src/machines/breaker.js';
import { breakerStep, type BreakerData } from '../../src/machines/breaker-step.js';
import { realClock } from '../../src/runtime/clock.js';
import { SharedPolicy } from '../../src/runtime/coordination/shared-policy.js';
import { EventBus } from '../../src/runtime/event-bus.js';
import { BreakerSharing } from '../../src/runtime/gates/breaker-sharing.js';
import { InstrumentDirectory } from '../../src/runtime/gates/instrument-directory.js';
import { buildScore } from '../support/build-score.js';
import { makeTempDir } from '../support/temp-dir.js';

const input: BreakerInput = { failures: 3, cooldownMs: 60_000 };

/** One conductor's view of the shared breaker: its backend handle, and the sharing it steps through. */
function conductorOn(file: string): { sharing: BreakerSharing; close(): Promise<void> } {
  const backend = new SqliteCoordination(file);
  const shared = new SharedPolicy(backend, { clock: realClock, bus: new EventBus(), post: (work) => work() });
  const instruments = new InstrumentDirectory();
  instruments.adopt(buildScore({ instruments: { api: { sharedAs: 'the-api' } }, stages: [{ id: 's', instrument: 'api' }] }).instruments);
  const sharing = new BreakerSharing(shared, instruments, { mirror: () => {}, local: () => undefined }, realClock);
  return {
    sharing,
    async close() {
      await shared.dispose();
      await backend.close();
    },
  };
}

/** What the stored breaker says, without its times (they are relative to each read). */
async function stored(file: string): Promise<Omit<BreakerData['context'], 'openedAt' | 'reopenAt'> & { value: string } | undefined> {
  const backend = new SqliteCoordination(file);
  const [breaker] = (await backend.read()).breakers;
  await backend.close();
  if (breaker === undefined) return undefined;
  const { openedAt: _o, reopenAt: _r, ...rest } = breaker.context;
  return { value: breaker.value, ...rest };
}

function untimed(data: BreakerData): Omit<BreakerData['context'], 'openedAt' | 'reopenAt'> & { value: string } | undefined {
  if (data.value === 'closed' && data.context.consecutiveFailures === 0) return undefined;
  const { openedAt: _o, reopenAt: _r, ...rest } = data.context;
  return { value: data.value, ...rest };
}

const event = fc.constantFrom<BreakerEvent>({ type: 'FAILURE', at: 0 }, { type: 'SUCCESS' }, { type: 'COOLDOWN_ELAPSED' });

describe('a breaker shared by several conductors', () => {
  it('is, after any interleaving of their reports, what the pure breaker machine says of the same reports in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), event), { maxLength: 25 }), async (reports) => {
        const file = join(makeTempDir('baton-breaker-'), 'coordination.db');
        const conductors = [conductorOn(file), conductorOn(file), conductorOn(file)];
        try {
          let expected: BreakerData | undefined;
          for (const [who, report] of reports) {
            expect(await conductors[who]!.sharing.step('api', input, report)).toBe(true);
            expected = breakerStep(expected, input, report);
            expect(await stored(file)).toEqual(untimed(expected));
          }
        } finally {
          await Promise.all(conductors.map((c) => c.close()));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('counts every failure that conductors report at the same time, once', async () => {
    const file = join(makeTempDir('baton-breaker-'), 'coordination.db');
    const conductors = [conductorOn(file), conductorOn(file), conductorOn(file)];
    const many: BreakerInput = { failures: 100, cooldownMs: 60_000 };
    try {
      await Promise.all(conductors.flatMap((c) => Array.from({ length: 5 }, () => c.sharing.step('api', many, { type: 'FAILURE', at: 0 }))));
      expect(await stored(file)).toMatchObject({ value: 'closed', consecutiveFailures: 15 });
    } finally {
      await Promise.all(conductors.map((c) => c.close()));
    }
  });
});
