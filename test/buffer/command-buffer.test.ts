import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Conductor, createCommandInstrument, defineScore, type BatonEvent, type ScoreInput } from '../../src/index.js';
import { flushEvents } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
let conductor: Conductor;

beforeEach(() => {
  dir = makeTempDir('baton-buffer-');
  conductor = new Conductor();
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

function score(command: string[], sheets: ScoreInput['sheets'], retries = 0): ReturnType<typeof defineScore> {
  return defineScore({
    version: 1,
    name: 'buffered',
    workspace: dir,
    instruments: { sh: { kind: 'command', command, buffer: { size: 1, workers: 1 } } },
    defaults: { retries, backoff: { initial: '10ms', max: '10ms' } },
    sheets,
  });
}

describe('a command instrument behind a dispatch buffer', () => {
  it('runs real subprocesses through one slot and one worker', async () => {
    const id = conductor.register(score(['bash', '-c'], [{ id: 'w', fan_out: 4, args: ['echo {{fan.index}} > {{workspace}}/out-{{fan.index}}.txt'] }]));
    const result = await conductor.waitForCompletion(id);
    expect(result.outcome).toBe('completed');
    for (const n of [1, 2, 3, 4]) expect(readFileSync(join(dir, `out-${n}.txt`), 'utf8')).toBe(`${n}\n`);
  });

  it('fails a program that does not exist at once, without trying to start it again', async () => {
    const events: BatonEvent[] = [];
    conductor.events$.subscribe((event) => events.push(event));
    const missing = join(dir, 'no-such-program');
    const id = conductor.register(score([missing], [{ id: 'x', args: [] }]));
    const result = await conductor.waitForCompletion(id);
    await flushEvents();
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'unavailable', attempts: 1 });
    expect(result.sheets[0]!.lastError).toBe(`cannot start "${missing}": command not found`);
    expect(events.filter((e) => e.type === 'dispatch.start_error')).toMatchObject([{ sheetId: 'x', permanent: true }]);
  });
});

describe('start errors a command instrument reports', () => {
  const request = (args: string[]) => ({
    jobId: 'j',
    sheetId: 's',
    attempt: 1,
    run: 1,
    mode: 'normal' as const,
    fan: { index: 1, count: 1 },
    workspace: dir,
    vars: {},
    deps: {},
    args,
    outputPrefix: join(dir, 'out', 's', '1'),
  });
  const hooks = { onStarted: () => {} };

  it('calls a missing program a permanent start error', async () => {
    const instrument = createCommandInstrument({ name: 'sh', command: [join(dir, 'missing')] });
    const outcome = await instrument.run(request([]), new AbortController().signal, hooks);
    expect(outcome).toMatchObject({ status: 'failure', unavailable: true, startError: { permanent: true } });
  });

  it('does not call an invalid argument a start error: it fails the same way every time', async () => {
    const instrument = createCommandInstrument({ name: 'sh', command: ['echo'] });
    const outcome = await instrument.run(request(['bad\u0000arg']), new AbortController().signal, hooks);
    expect(outcome.status).toBe('failure');
    expect(outcome.startError).toBeUndefined();
  });

  it('reports no start error for a program that started and failed', async () => {
    const instrument = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
    const outcome = await instrument.run(request(['exit 3']), new AbortController().signal, hooks);
    expect(outcome).toMatchObject({ status: 'failure', exitCode: 3 });
    expect(outcome.startError).toBeUndefined();
  });
});
