/**
 * `cost_pattern` and `rate_limit` are looked for in the whole output of a real process, not
 * in its last bytes: a match followed by 100 MB of output still counts, started through a
 * spawner helper and from baton's own process alike. Waits are read from the coordinator's
 * record of each limit, never measured.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandInstrument, defineScore, type BatonEvent, type Conductor, type SpawnerMode } from '../../src/index.js';
import { byId, flushEvents, QUICK_BACKOFF, startConductor } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

const HUNDRED_MB = 100 * 1000 * 1000;
/** 100 MB of transcript lines on stdout (`>&2`: on stderr). */
const transcript = (redirect = '') => `yes "assistant: still working on the task, nothing to report yet" | head -c ${HUNDRED_MB}${redirect}`;

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];

beforeEach(() => {
  dir = makeTempDir('baton-whole-output-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

describe.each<SpawnerMode>(['helper', 'inline'])('whole-output scanning (spawner: %s)', (spawner) => {
  const sh = () => createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner });

  it('a cost printed before 100 MB of output counts: the job budget is spent and nothing new starts', async () => {
    const score = defineScore({
      version: 1,
      name: 'cost-first',
      workspace: dir,
      budget_usd: 0.3,
      concurrency: 1,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'], cost_pattern: 'total cost: \\$([0-9.]+)' } },
      sheets: [
        { id: 'long', args: [`echo 'total cost: $0.50'; ${transcript()}`] },
        { id: 'next', depends_on: ['long'], args: ['echo next'] },
      ],
    });
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('paused');
    expect(result.pauseReasons).toEqual(['budget']);
    expect(result.costUsd).toBeCloseTo(0.5, 10);
    expect(byId(result.sheets)).toMatchObject({ long: { state: 'completed' }, next: { state: 'ready' } });
  });

  it('a single line of 100 MB is scanned whole: the last cost in it counts, over a sheet budget', async () => {
    const score = defineScore({
      version: 1,
      name: 'one-line',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'], cost_pattern: 'cost=([0-9.]+)' } },
      defaults: { retries: 0, budget_usd: 0.3 },
      sheets: [{ id: 'line', args: [`printf 'cost=0.1 '; head -c ${HUNDRED_MB} /dev/zero | tr '\\0' x; printf ' cost=0.75 '; head -c 1000000 /dev/zero | tr '\\0' y`] }],
    });
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).line).toMatchObject({ state: 'failed', reason: 'budget' });
    expect(byId(result.sheets).line!.costUsd).toBeCloseTo(0.75, 10);
  });

  it('a rate-limit message followed by 100 MB is a rate limit, with its retry_after', async () => {
    const score = defineScore({
      version: 1,
      name: 'limit-first',
      workspace: dir,
      instruments: {
        sh: {
          kind: 'command',
          command: ['bash', '-c'],
          rate_limit: { patterns: ['rate.?limit'], retry_after: 'retry after (\\d+(?:\\.\\d+)?)', default_wait: '1h', max_wait: '1h', min_wait: '10ms' },
        },
      },
      defaults: { backoff: QUICK_BACKOFF, retries: 0 },
      sheets: [
        {
          id: 'limited',
          args: [
            `if [ -e "$BATON_WORKSPACE/seen" ]; then exit 0; fi; touch "$BATON_WORKSPACE/seen"; echo 'Rate limit reached; retry after 0.3' >&2; ${transcript(' >&2')}; exit 1`,
          ],
        },
      ],
    });
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).limited).toMatchObject({ state: 'completed' });
    const limits = conductor.rateLimits.history().flatMap((change) => (change.type === 'active' ? [change.limit] : []));
    expect(limits.map((limit) => limit.until - limit.reportedAt)).toEqual([300]);
    await flushEvents();
    expect(events.filter((e) => e.type === 'sheet.waiting')).toHaveLength(1);
  });
});
