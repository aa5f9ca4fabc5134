import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from '../support/process-groups.js';
import {
  FILE_MATCH_MAX_BYTES,
  describeValidation,
  runValidations,
  type RenderedValidation,
} from '../../src/actors/validations.js';
import { createCommandInstrument, createFunctionInstrument, type SheetFunctionContext } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { countingHooks, makeRequest } from './helpers.js';

const node = process.execPath;
let dir: string;

beforeEach(() => {
  dir = makeTempDir('baton-actors-');
});
afterEach(() => {
  removeDir(dir);
});

async function one(validation: RenderedValidation, options: Partial<Parameters<typeof runValidations>[1]> = {}) {
  const report = await runValidations([validation], { cwd: dir, ...options });
  expect(report.total).toBe(1);
  return report.results[0]!;
}


describe('runValidations: report', () => {
  it('passes everything when there are no validations', async () => {
    expect(await runValidations([], { cwd: dir })).toEqual({ passed: 0, total: 0, passRate: 1, results: [], failed: [] });
  });

  it('runs the validations in order and counts the passes', async () => {
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out', '1.txt'), 'header\nOK done\n');
    const report = await runValidations(
      [
        { kind: 'file_exists', path: 'out/1.txt' },
        { kind: 'file_matches', path: 'out/1.txt', pattern: '^OK' },
        { kind: 'file_matches', path: 'out/1.txt', pattern: '^FAIL' },
        { kind: 'command_succeeds', argv: ['test', '-s', 'out/1.txt'] },
        { kind: 'file_exists', path: 'out/2.txt' },
      ],
      { cwd: dir },
    );
    expect(report.results.map((r) => [r.kind, r.description, r.passed])).toEqual([
      ['file_exists', 'file_exists out/1.txt', true],
      ['file_matches', 'file_matches out/1.txt /^OK/', true],
      ['file_matches', 'file_matches out/1.txt /^FAIL/', false],
      ['command_succeeds', 'command_succeeds test -s out/1.txt', true],
      ['file_exists', 'file_exists out/2.txt', false],
    ]);
    expect(report.passed).toBe(3);
    expect(report.total).toBe(5);
    expect(report.passRate).toBeCloseTo(0.6);
    expect(report.failed).toEqual(['file_matches out/1.txt /^FAIL/', 'file_exists out/2.txt']);
  });

  it('runs commands one after the other, in the order of the score', async () => {
    const log = join(dir, 'log');
    const step = (n: number): RenderedValidation => ({
      kind: 'command_succeeds',
      argv: [node, '-e', `require('fs').appendFileSync(${JSON.stringify(log)}, '${n}')`],
    });
    const report = await runValidations([step(1), step(2), step(3)], { cwd: dir });
    expect(report.passRate).toBe(1);
    expect(await readFile(log, 'utf8')).toBe('123');
  });

  it('fails the remaining validations as not run once aborted', async () => {
    const controller = new AbortController();
    controller.abort('cancelled');
    await writeFile(join(dir, 'a'), 'x');
    const report = await runValidations([{ kind: 'file_exists', path: 'a' }], { cwd: dir, signal: controller.signal });
    expect(report.results[0]).toMatchObject({ passed: false, detail: 'not run: aborted (cancelled)' });
    expect(report.passRate).toBe(0);
  });

  it('never rejects, even for a malformed validation', async () => {
    const report = await runValidations([{ kind: 'command_succeeds', argv: null } as unknown as RenderedValidation], {
      cwd: dir,
    });
    expect(report.results[0]).toMatchObject({ kind: 'command_succeeds', passed: false });
    expect(report.results[0]!.detail).toMatch(/validation error/);
  });
});

describe('describeValidation', () => {
  it('quotes elements with spaces or quotes and keeps each description on one line', () => {
    expect(describeValidation({ kind: 'command_succeeds', argv: ['bash', '-c', 'test -s "x"'] })).toBe(
      'command_succeeds bash -c "test -s \\"x\\""',
    );
    expect(describeValidation({ kind: 'command_succeeds', argv: ['echo', '', 'a\nb'] })).toBe(
      'command_succeeds echo "" "a\\nb"',
    );
    expect(describeValidation({ kind: 'file_exists', path: 'my file.txt' })).toBe('file_exists "my file.txt"');
    expect(describeValidation({ kind: 'file_matches', path: 'f', pattern: 'a\nb' })).toBe('file_matches f /a\\nb/');
  });

  it('cuts a very long description', () => {
    const text = describeValidation({ kind: 'file_exists', path: 'x'.repeat(1000) });
    expect(text.length).toBeLessThanOrEqual(240);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('file_exists', () => {
  it('resolves relative paths against cwd and accepts absolute paths', async () => {
    await writeFile(join(dir, 'a.txt'), '');
    expect(await one({ kind: 'file_exists', path: 'a.txt' })).toMatchObject({ passed: true });
    expect(await one({ kind: 'file_exists', path: join(dir, 'a.txt') }, { cwd: '/' })).toMatchObject({ passed: true });
  });

  it('fails for a missing file, a folder, or an empty path', async () => {
    expect(await one({ kind: 'file_exists', path: 'missing' })).toMatchObject({ passed: false, detail: 'no such file' });
    await mkdir(join(dir, 'sub'));
    expect(await one({ kind: 'file_exists', path: 'sub' })).toMatchObject({
      passed: false,
      detail: 'not a regular file (a folder)',
    });
    expect(await one({ kind: 'file_exists', path: '' })).toMatchObject({ passed: false, detail: 'empty path' });
  });

  it('follows symbolic links', async () => {
    await writeFile(join(dir, 'target'), 'x');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
    expect(await one({ kind: 'file_exists', path: 'link' })).toMatchObject({ passed: true });
    expect(await one({ kind: 'file_exists', path: 'dangling' })).toMatchObject({ passed: false });
  });
});

describe('file_matches', () => {
  it('matches at a line start (multiline)', async () => {
    await writeFile(join(dir, 'f'), 'first line\nOK second\n');
    expect(await one({ kind: 'file_matches', path: 'f', pattern: '^OK' })).toEqual({
      kind: 'file_matches',
      description: 'file_matches f /^OK/',
      passed: true,
    });
    expect(await one({ kind: 'file_matches', path: 'f', pattern: 'second$' })).toMatchObject({ passed: true });
  });

  it('fails when nothing matches, the file is missing, or the pattern is invalid', async () => {
    await writeFile(join(dir, 'f'), 'nope\n');
    expect(await one({ kind: 'file_matches', path: 'f', pattern: '^OK' })).toMatchObject({
      passed: false,
      detail: 'no match in the file',
    });
    expect(await one({ kind: 'file_matches', path: 'missing', pattern: 'x' })).toMatchObject({
      passed: false,
      detail: 'no such file',
    });
    const bad = await one({ kind: 'file_matches', path: 'f', pattern: '(' });
    expect(bad.passed).toBe(false);
    expect(bad.detail).toMatch(/^invalid regular expression \/\(\//);
  });

  it.skipIf(process.platform === 'win32')('does not open a FIFO', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(await one({ kind: 'file_matches', path: 'fifo', pattern: 'x' })).toMatchObject({
      passed: false,
      detail: 'not a regular file (a FIFO)',
    });
  });

  it('tests only the first 16 MiB of a larger file, and says so', async () => {
    const big = Buffer.alloc(FILE_MATCH_MAX_BYTES + 10, 'a');
    big.write('HEAD', 0);
    big.write('TAIL', FILE_MATCH_MAX_BYTES + 2);
    await writeFile(join(dir, 'big'), big);
    const head = await one({ kind: 'file_matches', path: 'big', pattern: '^HEAD' });
    expect(head.passed).toBe(true);
    expect(head.detail).toBe(`only the first 16 MiB of ${FILE_MATCH_MAX_BYTES + 10} bytes were tested`);
    const tail = await one({ kind: 'file_matches', path: 'big', pattern: 'TAIL' });
    expect(tail.passed).toBe(false);
    expect(tail.detail).toMatch(/^no match; only the first 16 MiB/);
  });

  it('reads a file of exactly 16 MiB whole', async () => {
    const exact = Buffer.alloc(FILE_MATCH_MAX_BYTES, 'a');
    exact.write('END', FILE_MATCH_MAX_BYTES - 3);
    await writeFile(join(dir, 'exact'), exact);
    expect(await one({ kind: 'file_matches', path: 'exact', pattern: 'END$' })).toEqual({
      kind: 'file_matches',
      description: 'file_matches exact /END$/',
      passed: true,
    });
  });
});

describe('command_succeeds', () => {
  it('passes on exit 0 and runs in cwd', async () => {
    await writeFile(join(dir, 'here'), 'x');
    expect(await one({ kind: 'command_succeeds', argv: ['test', '-s', 'here'] })).toEqual({
      kind: 'command_succeeds',
      description: 'command_succeeds test -s here',
      passed: true,
    });
  });

  it('fails on a non-zero status, with the last line of stderr', async () => {
    const result = await one({
      kind: 'command_succeeds',
      argv: [node, '-e', 'console.error("first"); console.error("it broke"); process.exit(3)'],
    });
    expect(result.passed).toBe(false);
    expect(result.detail).toBe('exited with status 3: it broke');
  });

  it('does not use a shell', async () => {
    const result = await one({ kind: 'command_succeeds', argv: ['echo hi && true'] });
    expect(result).toMatchObject({ passed: false, detail: 'cannot start "echo hi && true": command not found' });
    const marker = join(dir, 'marker');
    await one({ kind: 'command_succeeds', argv: [node, '-e', '0', `; touch ${marker}`] });
    expect(existsSync(marker)).toBe(false);
  });

  it('fails clearly for a missing program, an empty argv, or a missing cwd', async () => {
    expect(await one({ kind: 'command_succeeds', argv: ['no-such-program-baton-xyz'] })).toMatchObject({
      passed: false,
      detail: 'cannot start "no-such-program-baton-xyz": command not found',
    });
    expect(await one({ kind: 'command_succeeds', argv: [] })).toMatchObject({ passed: false, detail: 'no command to run' });
    const missing = join(dir, 'gone');
    expect(await one({ kind: 'command_succeeds', argv: ['true'] }, { cwd: missing })).toMatchObject({
      passed: false,
      detail: `cannot run in "${missing}": no such folder`,
    });
  });

  it('gets a minimal environment plus the given variables', async () => {
    process.env.BATON_TEST_SECRET = 'leak';
    try {
      const out = join(dir, 'env.json');
      const result = await one(
        {
          kind: 'command_succeeds',
          argv: [node, '-e', `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`],
        },
        { env: { EXTRA: 'yes' } },
      );
      expect(result.passed).toBe(true);
      const env = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
      expect(env.EXTRA).toBe('yes');
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.BATON_TEST_SECRET).toBeUndefined();
    } finally {
      delete process.env.BATON_TEST_SECRET;
    }
  });

  it('kills the whole process group at the timeout', async () => {
    const pidFile = join(dir, 'child.pid');
    const script = `
      const { spawn } = require('child_process');
      const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
      setInterval(() => {}, 1000);
    `;
    const result = await one({ kind: 'command_succeeds', argv: [node, '-e', script] }, { commandTimeoutMs: 500 });
    expect(result.passed).toBe(false);
    expect(result.detail).toBe('timed out after 500 ms; its process group was killed');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('kills the command on abort and does not run the rest', async () => {
    const started = join(dir, 'started');
    const controller = new AbortController();
    const running = runValidations(
      [
        {
          kind: 'command_succeeds',
          argv: [node, '-e', `require('fs').writeFileSync(${JSON.stringify(started)}, ''); setInterval(() => {}, 1000)`],
        },
        { kind: 'command_succeeds', argv: ['true'] },
      ],
      { cwd: dir, signal: controller.signal },
    );
    await waitFor(() => (existsSync(started) ? true : undefined));
    controller.abort('shutdown');
    const report = await running;
    expect(report.results.map((r) => [r.passed, r.detail])).toEqual([
      [false, 'aborted (shutdown); its process group was killed'],
      [false, 'not run: aborted (shutdown)'],
    ]);
    expect(report.failed).toHaveLength(2);
  });

  it.skipIf(process.platform !== 'linux')('does not wait for a process that left the group and holds its output open', async () => {
    // setsid moves the grandchild out of the group; it keeps stdout open after the command exits.
    const pidFile = join(dir, 'escaped.pid');
    const script = `
      const { spawn } = require('child_process');
      const c = spawn('setsid', [process.execPath, '-e', 'setTimeout(() => {}, 30000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
      c.unref();
    `;
    const result = await one({ kind: 'command_succeeds', argv: [node, '-e', script] });
    expect(result).toMatchObject({ passed: true });
    const pid = Number(await readFile(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
});

describe('failed validations reach the next attempt', () => {
  it('a command attempt sees BATON_FAILED_VALIDATIONS, one description per line', async () => {
    const instrument = createCommandInstrument({ name: 'sh', command: [node, '-e'] });
    const script = 'process.stdout.write(JSON.stringify(process.env.BATON_FAILED_VALIDATIONS ?? null))';
    const failedValidations = ['file_matches out/1.txt /^OK/', 'command_succeeds test -s out/1.txt'];
    const request = makeRequest(dir, { mode: 'completion', args: [script], failedValidations });
    const outcome = await instrument.run(request, new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    expect(JSON.parse(await readFile(outcome.stdoutFile!, 'utf8'))).toBe(
      'file_matches out/1.txt /^OK/\ncommand_succeeds test -s out/1.txt',
    );
  });

  it('a command attempt has no BATON_FAILED_VALIDATIONS when nothing failed', async () => {
    const instrument = createCommandInstrument({
      name: 'sh',
      command: [node, '-e'],
      env: { BATON_FAILED_VALIDATIONS: 'from config' },
    });
    const script = 'process.stdout.write(JSON.stringify(process.env.BATON_FAILED_VALIDATIONS ?? null))';
    for (const failedValidations of [undefined, []]) {
      const request = makeRequest(dir, { args: [script], ...(failedValidations ? { failedValidations } : {}) });
      const outcome = await instrument.run(request, new AbortController().signal, countingHooks());
      expect(JSON.parse(await readFile(outcome.stdoutFile!, 'utf8'))).toBeNull();
    }
  });

  it('a function sees ctx.sheet.failedValidations (empty in normal mode)', async () => {
    const seen: SheetFunctionContext[] = [];
    const instrument = createFunctionInstrument({
      name: 'js',
      fn: (ctx) => {
        seen.push(ctx);
        return { ok: true };
      },
    });
    const signal = new AbortController().signal;
    await instrument.run(makeRequest(dir), signal, countingHooks());
    await instrument.run(
      makeRequest(dir, { mode: 'completion', failedValidations: ['file_exists out/1.txt'] }),
      signal,
      countingHooks(),
    );
    expect(seen.map((ctx) => [ctx.sheet.mode, ctx.sheet.failedValidations])).toEqual([
      ['normal', []],
      ['completion', ['file_exists out/1.txt']],
    ]);
  });
});
