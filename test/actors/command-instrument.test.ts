import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INHERITED_ENV_KEYS } from '../../src/actors/process/env.js';
import { OUTPUT_TAIL_BYTES } from '../../src/actors/process/output-tail.js';
import {
  createCommandInstrument as createWithDefaults,
  type CommandInstrumentOptions,
  type SpawnerMode,
} from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { countingHooks, makeRequest } from './helpers.js';
import { expectGroupGone, isAlive, stdoutLines } from './processes.js';

const node = process.execPath;
let dir: string;

beforeEach(() => {
  dir = makeTempDir('baton-actors-');
});
afterEach(() => {
  removeDir(dir);
});

// Every expectation holds whether baton spawns in its own process or through a helper.
describe.each<SpawnerMode>(['helper', 'inline'])('command instrument (%s spawner)', (spawner) => {
  const createCommandInstrument = (options: CommandInstrumentOptions) => createWithDefaults({ ...options, spawner });

  describe('exit status', () => {
    it('is a success when the program exits 0', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const hooks = countingHooks();
      const outcome = await sh.run(makeRequest(dir, { args: ['echo hello'] }), new AbortController().signal, hooks);
      expect(outcome.status).toBe('success');
      expect(outcome.exitCode).toBe(0);
      expect(outcome.error).toBeUndefined();
      expect(outcome.stdoutTail).toBe('hello\n');
      expect(hooks.started).toBe(1);
    });

    it('is a failure naming the status and the last stderr line when the program exits non-zero', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const outcome = await sh.run(
        makeRequest(dir, { args: ['echo first >&2; echo "  it broke  " >&2; echo >&2; exit 3'] }),
        new AbortController().signal,
        countingHooks(),
      );
      expect(outcome.status).toBe('failure');
      expect(outcome.exitCode).toBe(3);
      expect(outcome.error).toBe('exited with status 3: it broke');
    });

    it('says only the status when stderr is empty', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const outcome = await sh.run(makeRequest(dir, { args: ['exit 7'] }), new AbortController().signal, countingHooks());
      expect(outcome.error).toBe('exited with status 7');
    });

    it('reports a program killed by a signal', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const outcome = await sh.run(makeRequest(dir, { args: ['kill -KILL $$'] }), new AbortController().signal, countingHooks());
      expect(outcome.status).toBe('failure');
      expect(outcome.exitCode).toBeNull();
      expect(outcome.signal).toBe('SIGKILL');
      expect(outcome.error).toBe('killed by SIGKILL');
    });
  });

  describe('output', () => {
    it('goes to <prefix>.stdout and <prefix>.stderr, creating their folder', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const request = makeRequest(dir, { args: ['echo out; echo err >&2'] });
      const outcome = await sh.run(request, new AbortController().signal, countingHooks());
      expect(outcome.stdoutFile).toBe(`${request.outputPrefix}.stdout`);
      expect(outcome.stderrFile).toBe(`${request.outputPrefix}.stderr`);
      expect(await readFile(`${request.outputPrefix}.stdout`, 'utf8')).toBe('out\n');
      expect(await readFile(`${request.outputPrefix}.stderr`, 'utf8')).toBe('err\n');
      expect(outcome.stderrTail).toBe('err\n');
    });

    it('keeps everything in the file but only a bounded tail in the outcome', async () => {
      const size = 5 * 1024 * 1024;
      const sh = createCommandInstrument({ name: 'node', command: [node, '-e'] });
      const script = `process.stdout.write('x'.repeat(${size} - 4) + 'END\\n')`;
      const request = makeRequest(dir, { args: [script] });
      const outcome = await sh.run(request, new AbortController().signal, countingHooks());
      expect(outcome.status).toBe('success');
      expect((await stat(`${request.outputPrefix}.stdout`)).size).toBe(size);
      expect(outcome.stdoutTail!.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
      expect(outcome.stdoutTail!.length).toBeGreaterThan(0);
      expect(outcome.stdoutTail!.endsWith('xEND\n')).toBe(true);
    });

    it('runs in the workspace, creating it when missing', async () => {
      const sh = createCommandInstrument({ name: 'node', command: [node, '-e'] });
      const request = makeRequest(dir, { workspace: join(dir, 'a', 'b', 'ws'), args: ['process.stdout.write(process.cwd())'] });
      const outcome = await sh.run(request, new AbortController().signal, countingHooks());
      expect(outcome.status).toBe('success');
      expect(outcome.stdoutTail).toBe(join(dir, 'a', 'b', 'ws'));
    });
  });

  describe('arguments', () => {
    it('passes each rendered value as one literal argv element, never through a shell', async () => {
      const canary = join(dir, 'canary');
      await writeFile(canary, 'still here');
      const values = [
        `; rm -rf ${canary}`,
        'two words "quoted" $(whoami) `id` $HOME',
        "it's | cat > /dev/null && echo pwned",
        '',
      ];
      const sh = createCommandInstrument({
        name: 'node',
        command: [node, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))'],
      });
      const request = makeRequest(dir, { args: values });
      const outcome = await sh.run(request, new AbortController().signal, countingHooks());
      expect(outcome.status).toBe('success');
      expect(JSON.parse(await readFile(`${request.outputPrefix}.stdout`, 'utf8'))).toEqual(values);
      expect(existsSync(canary)).toBe(true);
    });
  });

  describe('environment', () => {
    const printEnv = [node, '-e', 'process.stdout.write(JSON.stringify(process.env))'];

    it('holds the minimal inherited set, the env option and BATON_* only', async () => {
      process.env.BATON_TEST_SECRET = 'hunter2';
      try {
        const sh = createCommandInstrument({ name: 'node', command: printEnv, env: { LANG: 'C.UTF-8', EXTRA: 'yes' } });
        const request = makeRequest(dir, { sheetId: 'analyze.2', attempt: 3, mode: 'completion' });
        const outcome = await sh.run(request, new AbortController().signal, countingHooks());
        expect(outcome.status).toBe('success');
        const env = JSON.parse(await readFile(`${request.outputPrefix}.stdout`, 'utf8')) as Record<string, string>;
        expect(env.BATON_TEST_SECRET).toBeUndefined();
        expect(env).toMatchObject({
          LANG: 'C.UTF-8',
          EXTRA: 'yes',
          BATON_SHEET_ID: 'analyze.2',
          BATON_ATTEMPT: '3',
          BATON_MODE: 'completion',
          BATON_WORKSPACE: request.workspace,
        });
        const allowed = new Set([...INHERITED_ENV_KEYS, 'EXTRA', 'BATON_SHEET_ID', 'BATON_ATTEMPT', 'BATON_MODE', 'BATON_WORKSPACE']);
        expect(Object.keys(env).filter((key) => !allowed.has(key))).toEqual([]);
        if (process.env.PATH !== undefined) expect(env.PATH).toBe(process.env.PATH);
      } finally {
        delete process.env.BATON_TEST_SECRET;
      }
    });

    it('does not let the env option override BATON_* variables', async () => {
      const sh = createCommandInstrument({ name: 'node', command: printEnv, env: { BATON_SHEET_ID: 'forged' } });
      const request = makeRequest(dir);
      await sh.run(request, new AbortController().signal, countingHooks());
      const env = JSON.parse(await readFile(`${request.outputPrefix}.stdout`, 'utf8')) as Record<string, string>;
      expect(env.BATON_SHEET_ID).toBe('sheet-1');
    });
  });

  describe('a program that cannot start', () => {
    it('is an unavailable failure when the binary is missing, and never reports started', async () => {
      const sh = createCommandInstrument({ name: 'ghost', command: ['baton-no-such-binary-4f2a'] });
      const hooks = countingHooks();
      const outcome = await sh.run(makeRequest(dir), new AbortController().signal, hooks);
      expect(outcome.status).toBe('failure');
      expect(outcome.unavailable).toBe(true);
      expect(outcome.startError).toEqual({ permanent: true });
      expect(outcome.error).toBe('cannot start "baton-no-such-binary-4f2a": command not found');
      expect(hooks.started).toBe(0);
    });

    it('is an unavailable failure when the file is not executable', async () => {
      const script = join(dir, 'not-executable.sh');
      await writeFile(script, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const sh = createCommandInstrument({ name: 'script', command: [script] });
      const hooks = countingHooks();
      const outcome = await sh.run(makeRequest(dir), new AbortController().signal, hooks);
      expect(outcome.unavailable).toBe(true);
      expect(outcome.startError).toEqual({ permanent: true });
      expect(outcome.error).toContain('permission denied');
      expect(hooks.started).toBe(0);
    });

    it('is an ordinary failure, not a start error, when an argument holds a NUL byte', async () => {
      const sh = createCommandInstrument({ name: 'node', command: [node, '-e'] });
      const hooks = countingHooks();
      const request = makeRequest(dir, { args: ['bad\u0000arg'] });
      const outcome = await sh.run(request, new AbortController().signal, hooks);
      expect(outcome.status).toBe('failure');
      expect(outcome.startError).toBeUndefined();
      expect(outcome.unavailable).toBeUndefined();
      expect(outcome.error).toMatch(new RegExp(`^cannot start "${node}": .*null bytes`));
      expect(outcome.stdoutFile).toBe(`${request.outputPrefix}.stdout`);
      expect(hooks.started).toBe(0);
    });

    it('is an ordinary failure naming the cause when the output folder cannot be made', async () => {
      await writeFile(join(dir, 'a-file'), '');
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const hooks = countingHooks();
      const request = makeRequest(dir, { args: ['echo ran > ran.txt'], outputPrefix: join(dir, 'a-file', 'out', 'attempt-1') });
      const outcome = await sh.run(request, new AbortController().signal, hooks);
      expect(outcome).toEqual({
        status: 'failure',
        error: expect.stringMatching(/^cannot prepare the attempt: ENOTDIR: not a directory, mkdir '.*a-file\/out'$/),
      });
      expect(hooks.started).toBe(0);
      expect(existsSync(join(request.workspace, 'ran.txt'))).toBe(false);
    });

    it('is an unavailable failure when no command is configured', async () => {
      const sh = createCommandInstrument({ name: 'empty', command: [] });
      const hooks = countingHooks();
      const outcome = await sh.run(makeRequest(dir), new AbortController().signal, hooks);
      expect(outcome).toMatchObject({ status: 'failure', unavailable: true });
      expect(outcome.error).toContain('no command configured');
      expect(hooks.started).toBe(0);
    });
  });

  describe('abort', () => {
    it('does not start anything when the signal is already aborted', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const controller = new AbortController();
      controller.abort('cancelled');
      const hooks = countingHooks();
      const request = makeRequest(dir, { args: ['echo ran > ran.txt'] });
      const outcome = await sh.run(request, controller.signal, hooks);
      expect(outcome).toMatchObject({ status: 'failure', error: 'aborted (cancelled)' });
      expect(hooks.started).toBe(0);
      expect(existsSync(join(request.workspace, 'ran.txt'))).toBe(false);
    });

    it('does not start anything when aborted while the attempt is being prepared', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const controller = new AbortController();
      const hooks = countingHooks();
      const request = makeRequest(dir, { args: ['echo ran > ran.txt'] });
      const running = sh.run(request, controller.signal, hooks);
      controller.abort('cancelled');
      const outcome = await running;
      expect(outcome).toMatchObject({ status: 'failure', error: 'aborted (cancelled)' });
      // In process, the files are open before the abort is seen; a helper is never asked.
      // Either way the outcome names the output files exactly when they exist.
      const files = { stdoutFile: `${request.outputPrefix}.stdout`, stderrFile: `${request.outputPrefix}.stderr` };
      if (spawner === 'inline') expect(outcome).toEqual({ status: 'failure', error: 'aborted (cancelled)', ...files });
      for (const file of Object.values(files)) {
        expect(existsSync(file)).toBe(outcome.stdoutFile !== undefined && outcome.stderrFile !== undefined);
      }
      expect(hooks.started).toBe(0);
      expect(existsSync(join(request.workspace, 'ran.txt'))).toBe(false);
    });

    it('kills the whole process group, grandchildren included', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const controller = new AbortController();
      const request = makeRequest(dir, { args: ['sleep 300 & echo $!; sleep 300 & echo $!; echo $$; wait'] });
      const running = sh.run(request, controller.signal, countingHooks());
      const [sleep1, sleep2, leader] = (await stdoutLines(request.outputPrefix, 3)).map(Number) as [number, number, number];
      expect([leader, sleep1, sleep2].map(isAlive)).toEqual([true, true, true]);

      controller.abort('timeout');
      const outcome = await running;

      expect(outcome.status).toBe('failure');
      expect(outcome.error).toBe('aborted (timeout)');
      expect(isAlive(sleep1)).toBe(false);
      expect(isAlive(sleep2)).toBe(false);
      await expectGroupGone(leader);
    });

    it('kills descendants that outlive a leader which exits on SIGTERM', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], killGraceMs: 60_000 });
      const controller = new AbortController();
      // The leader exits on TERM at once; its child ignores TERM and would survive without the final group kill.
      const request = makeRequest(dir, {
        args: ['(trap "" TERM; exec sleep 300) & echo $!; echo $$; trap "exit 0" TERM; while :; do sleep 0.05; done'],
      });
      const running = sh.run(request, controller.signal, countingHooks());
      const [stubborn, leader] = (await stdoutLines(request.outputPrefix, 2)).map(Number) as [number, number];

      controller.abort('shutdown');
      const outcome = await running;

      expect(outcome.error).toBe('aborted (shutdown)');
      expect(isAlive(stubborn)).toBe(false);
      await expectGroupGone(leader);
    });

    it('escalates to SIGKILL after the grace when the program ignores SIGTERM', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], killGraceMs: 100 });
      const controller = new AbortController();
      const request = makeRequest(dir, { args: ['trap "" TERM; sleep 300 & echo $$; wait'] });
      const running = sh.run(request, controller.signal, countingHooks());
      const [leader] = (await stdoutLines(request.outputPrefix, 1)).map(Number) as [number];

      controller.abort('timeout');
      const outcome = await running;

      expect(outcome.status).toBe('failure');
      expect(outcome.error).toBe('aborted (timeout)');
      expect(outcome.signal).toBe('SIGKILL');
      await expectGroupGone(leader);
    });

    it('stops the program when the onStarted hook throws', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'], killGraceMs: 100 });
      const hooks = {
        onStarted() {
          throw new Error('hook broke');
        },
      };
      const outcome = await sh.run(makeRequest(dir, { args: ['sleep 300'] }), new AbortController().signal, hooks);
      expect(outcome).toMatchObject({ status: 'failure', error: 'onStarted hook failed: hook broke' });
    });

    it('resolves with the reason of a non-string abort', async () => {
      const sh = createCommandInstrument({ name: 'sh', command: ['bash', '-c'] });
      const controller = new AbortController();
      const request = makeRequest(dir, { args: ['echo up; sleep 300'] });
      const running = sh.run(request, controller.signal, countingHooks());
      await stdoutLines(request.outputPrefix, 1);
      controller.abort();
      expect((await running).error).toBe('aborted');
    });
  });
});
