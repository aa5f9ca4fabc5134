import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Conductor,
  createCommandInstrument,
  defineScore,
  type AttemptOutcome,
  type AttemptRequest,
  type CommandInstrumentOptions,
} from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { countingHooks, makeRequest } from './helpers.js';
import { expectGroupGone, isAlive, parentOf, stdoutLines } from './processes.js';

const node = process.execPath;
const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeEach(() => {
  dir = makeTempDir('baton-actors-');
});
afterEach(() => {
  removeDir(dir);
});

const helper = (options: CommandInstrumentOptions) => createCommandInstrument({ ...options, spawner: 'helper' });
const inline = (options: CommandInstrumentOptions) => createCommandInstrument({ ...options, spawner: 'inline' });

describe('command instrument through spawner helpers', () => {
  it('starts the program from a helper process, not from baton', async () => {
    const sh = helper({ name: 'sh', command: ['bash', '-c'] });
    const hooks = { pids: [] as (number | undefined)[], onStarted: (info?: { pid?: number }) => hooks.pids.push(info?.pid) };
    const outcome = await sh.run(makeRequest(dir, { args: ['echo $PPID; echo $$'] }), new AbortController().signal, hooks);
    expect(outcome.status).toBe('success');
    const [parent, pid] = outcome.stdoutTail!.trim().split('\n').map(Number);
    expect(parent).not.toBe(process.pid);
    expect(parentOf(parent!)).toBe(process.pid);
    expect(hooks.pids).toEqual([pid]);
  });

  describe('gives the outcome the in-process spawn gives', () => {
    const cases: { name: string; command: string[]; args?: string[]; request?: (dir: string) => Partial<AttemptRequest> }[] = [
      { name: 'a success with output', command: ['bash', '-c'], args: ['echo out; echo err >&2'] },
      { name: 'a non-zero exit', command: ['bash', '-c'], args: ['echo "  it broke " >&2; exit 3'] },
      { name: 'a program killed by a signal', command: ['bash', '-c'], args: ['kill -KILL $$'] },
      { name: 'a missing program', command: ['baton-no-such-binary-4f2a'] },
      { name: 'a file that is not executable', command: ['/etc/hostname'] },
      { name: 'an argument with a NUL byte', command: [node, '-e'], args: ['bad\u0000arg'] },
      {
        name: 'an output folder that cannot be made',
        command: ['bash', '-c'],
        args: ['true'],
        request: (dir) => ({ outputPrefix: join(dir, 'a-file', 'out', 'attempt-1') }),
      },
      { name: 'no command', command: [] },
    ];
    it.each(cases)('for $name', async ({ command, args = [], request }) => {
      await writeFile(join(dir, 'a-file'), '');
      const attempt = makeRequest(dir, { args, ...request?.(dir) });
      const expected = await inline({ name: 'x', command }).run(attempt, new AbortController().signal, countingHooks());
      const hooks = countingHooks();
      const outcome = await helper({ name: 'x', command }).run(attempt, new AbortController().signal, hooks);
      expect(outcome).toEqual(expected);
      expect(Object.keys(outcome)).toEqual(Object.keys(expected));
      expect(hooks.started).toBe(outcome.exitCode === undefined ? 0 : 1);
    });
  });

  it('spreads attempts in flight over the helpers, each attempt getting its own outcome', async () => {
    const sh = helper({ name: 'sh', command: ['bash', '-c'] });
    const requests = [1, 2, 3, 4, 5, 6].map((n) =>
      makeRequest(dir, { sheetId: `s${n}`, outputPrefix: join(dir, 'output', `s${n}`, 'attempt-1'), args: ['echo $BATON_SHEET_ID; echo $PPID >&2'] }),
    );
    const outcomes = await Promise.all(requests.map((request) => sh.run(request, new AbortController().signal, countingHooks())));
    expect(outcomes.map((outcome) => outcome.stdoutTail)).toEqual(requests.map((request) => `${request.sheetId}\n`));
    const helpers = new Set(outcomes.map((outcome) => Number(outcome.stderrTail)));
    expect(helpers.size).toBe(Math.min(2, availableParallelism()));
    expect(helpers.has(process.pid)).toBe(false);
  });

  it('does not start a program whose abort reached the helper while it prepared the files', async () => {
    const sh = helper({ name: 'sh', command: ['bash', '-c'] });
    const warmUp = await sh.run(makeRequest(dir, { args: ['echo $PPID'] }), new AbortController().signal, countingHooks());
    // Attempts one at a time go to the same helper; stopped, it reads the start and the
    // cancel together when it resumes.
    const helperPid = Number(warmUp.stdoutTail);
    const controller = new AbortController();
    const hooks = countingHooks();
    const request = makeRequest(dir, { attempt: 2, args: ['echo ran > ran.txt'], outputPrefix: join(dir, 'output', 'sheet-1', 'attempt-2') });
    process.kill(helperPid, 'SIGSTOP');
    let running: Promise<AttemptOutcome> | undefined;
    try {
      running = sh.run(request, controller.signal, hooks);
      await Promise.resolve(); // the start has left for the helper
      controller.abort('cancelled');
    } finally {
      process.kill(helperPid, 'SIGCONT');
    }
    expect(await running).toEqual({
      status: 'failure',
      error: 'aborted (cancelled)',
      stdoutFile: `${request.outputPrefix}.stdout`,
      stderrFile: `${request.outputPrefix}.stderr`,
    });
    expect(hooks.started).toBe(0);
    expect(existsSync(`${request.outputPrefix}.stdout`)).toBe(true);
    expect(existsSync(join(request.workspace, 'ran.txt'))).toBe(false);
  });

  it('kills the group from baton when aborted while the program runs', async () => {
    const sh = helper({ name: 'sh', command: ['bash', '-c'] });
    const controller = new AbortController();
    const request = makeRequest(dir, { args: ['sleep 300 & echo $!; echo $$; wait'] });
    const running = sh.run(request, controller.signal, countingHooks());
    const [sleeper, leader] = (await stdoutLines(request.outputPrefix, 2)).map(Number) as [number, number];

    controller.abort('timeout');
    const outcome = await running;

    expect(outcome).toMatchObject({ status: 'failure', error: 'aborted (timeout)', signal: 'SIGTERM' });
    expect(isAlive(sleeper)).toBe(false);
    await expectGroupGone(leader);
  });

  describe('when a helper dies', () => {
    it('fails its attempts as ordinary failures, kills their groups, and starts the next attempt on a new helper', async () => {
      const sh = helper({ name: 'sh', command: ['bash', '-c'] });
      const requests = [1, 2].map((n) =>
        makeRequest(dir, { sheetId: `s${n}`, outputPrefix: join(dir, 'output', `s${n}`, 'attempt-1'), args: ['sleep 300 & echo $!; echo $$; echo $PPID; wait'] }),
      );
      const running = requests.map((request) => sh.run(request, new AbortController().signal, countingHooks()));
      const started = await Promise.all(requests.map(async (request) => (await stdoutLines(request.outputPrefix, 3)).map(Number)));
      const helpers = new Set(started.map(([, , parent]) => parent!));
      expect(helpers.has(process.pid)).toBe(false);

      for (const pid of helpers) process.kill(pid, 'SIGKILL');
      const outcomes = await Promise.all(running);

      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          status: 'failure',
          error: 'spawner helper exited (signal SIGKILL) while the attempt ran; its process group was killed',
        });
        expect(outcome.startError).toBeUndefined();
        expect(outcome.unavailable).toBeUndefined();
      }
      for (const [sleeper, leader] of started) {
        expect(isAlive(sleeper!)).toBe(false);
        await expectGroupGone(leader!);
      }

      const next = await sh.run(makeRequest(dir, { args: ['echo $PPID'] }), new AbortController().signal, countingHooks());
      expect(next.status).toBe('success');
      const parent = Number(next.stdoutTail);
      expect(helpers.has(parent)).toBe(false);
      expect(parent).not.toBe(process.pid);
    });

    it('lets the sheet retry the attempt it cut short', async () => {
      const saved = process.env.BATON_SPAWNER;
      process.env.BATON_SPAWNER = 'helper';
      const conductor = new Conductor();
      try {
        const id = conductor.register(
          defineScore({
            version: 1,
            name: 'helper-dies',
            workspace: dir,
            instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
            defaults: { retries: 1, backoff: { initial: '10ms', max: '10ms' } },
            sheets: [
              {
                id: 'a',
                args: ['if [ {{sheet.attempt}} -eq 1 ]; then echo $PPID > {{workspace}}/helper; exec sleep 300; fi; echo second > {{workspace}}/done'],
              },
            ],
          }),
        );
        const helperPid = await waitFor(async () => {
          const text = await readFile(join(dir, 'helper'), 'utf8').catch(() => '');
          return text.endsWith('\n') ? Number(text) : undefined;
        });
        process.kill(helperPid, 'SIGKILL');
        const result = await conductor.waitForCompletion(id);
        expect(result.outcome).toBe('completed');
        expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 2 });
        expect(await readFile(join(dir, 'done'), 'utf8')).toBe('second\n');
      } finally {
        await conductor.shutdown();
        if (saved === undefined) delete process.env.BATON_SPAWNER;
        else process.env.BATON_SPAWNER = saved;
      }
    });
  });

  it('does not keep a program alive once its attempts are done, and its helper goes with it', async () => {
    const script = join(dir, 'one-attempt.mjs');
    const source = pathToFileURL(join(root, 'src', 'index.ts')).href;
    await writeFile(
      script,
      `import { createCommandInstrument } from ${JSON.stringify(source)};
const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner: 'helper' });
const request = ${JSON.stringify(makeRequest(dir, { args: ['echo $PPID'] }))};
const outcome = await sh.run(request, new AbortController().signal, { onStarted() {} });
process.stdout.write(JSON.stringify(outcome));
`,
    );
    // The bound only turns a program that never exits into a failure instead of a hang.
    const { stdout } = await promisify(execFile)(node, ['--import', 'tsx', script], { cwd: root, timeout: 25_000, killSignal: 'SIGKILL' });
    const outcome = JSON.parse(stdout) as { status: string; stdoutTail: string };
    expect(outcome.status).toBe('success');
    const helperPid = Number(outcome.stdoutTail);
    await waitFor(() => (isAlive(helperPid) ? undefined : true));
  });

  it('starts its first helper as it is created, before any attempt, and an idle helper keeps nothing alive', async () => {
    const script = join(dir, 'no-attempt.mjs');
    const source = pathToFileURL(join(root, 'src', 'index.ts')).href;
    await writeFile(
      script,
      `import { readdirSync, readFileSync } from 'node:fs';
import { createCommandInstrument } from ${JSON.stringify(source)};
const helpers = () =>
  readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry)).filter((pid) => {
    try {
      const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('helper');
    } catch {
      return false;
    }
  });
createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner: 'helper' });
// No attempt, no warm(): only the instrument's creation can have forked a helper.
for (let i = 0; i < 200 && helpers().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(JSON.stringify(helpers().map(Number)));
`,
    );
    // The bound only turns a program that never exits into a failure instead of a hang.
    const { stdout } = await promisify(execFile)(node, ['--import', 'tsx', script], { cwd: root, timeout: 25_000, killSignal: 'SIGKILL' });
    const helpers = JSON.parse(stdout) as number[];
    expect(helpers).toHaveLength(1);
    await waitFor(() => (isAlive(helpers[0]!) ? undefined : true));
  });
});
