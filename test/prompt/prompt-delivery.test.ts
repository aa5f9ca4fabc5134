import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ARG_BYTES } from '../../src/actors/instruments/prompt-arg.js';
import { createCommandInstrument, type CommandInstrumentOptions, type SpawnerMode } from '../../src/index.js';
import { countingHooks, makeRequest } from '../actors/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

const node = process.execPath;
/** Prints the sha256 of everything on its stdin, and how many bytes that was. */
const HASH_STDIN = `const h = require('node:crypto').createHash('sha256'); let n = 0;
process.stdin.on('data', (d) => { h.update(d); n += d.length; });
process.stdin.on('end', () => console.log(h.digest('hex'), n));`;
/** Prints the sha256 of its first argument's bytes. */
const HASH_ARG = `console.log(require('node:crypto').createHash('sha256').update(process.argv[1]).digest('hex'))`;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** About 1 MB of text: multi-byte characters, newlines and the bytes of many lines. */
function bigPrompt(): string {
  const lines: string[] = [];
  for (let i = 0, bytes = 0; bytes <= 1_000_000; i++) {
    const line = `${i} ✓ é ${randomBytes(24).toString('base64')}\n`;
    lines.push(line);
    bytes += Buffer.byteLength(line);
  }
  return lines.join('');
}

let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-prompt-');
});
afterEach(() => {
  removeDir(dir);
});

describe.each<SpawnerMode>(['helper', 'inline'])('a sheet prompt given to a command (%s spawner)', (spawner) => {
  const instrument = (options: CommandInstrumentOptions) => createCommandInstrument({ ...options, spawner });

  it('reaches the program on stdin byte for byte, 1 MB of it, and is kept beside the outputs', async () => {
    const prompt = bigPrompt();
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(1_000_000);
    const agent = instrument({ name: 'agent', command: [node, '-e', HASH_STDIN] });
    const outcome = await agent.run(makeRequest(dir, { prompt }), new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    expect(outcome.stdoutTail).toBe(`${sha256(prompt)} ${Buffer.byteLength(prompt)}\n`);
    expect(outcome.promptFile).toBe(`${makeRequest(dir).outputPrefix}.prompt`);
    expect(await readFile(outcome.promptFile!, 'utf8')).toBe(prompt);
  });

  it('does not fail a program that exits without reading its 1 MB stdin prompt', async () => {
    const agent = instrument({ name: 'agent', command: [node, '-e', 'process.exit(0)'] });
    const outcome = await agent.run(makeRequest(dir, { prompt: bigPrompt() }), new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    expect(outcome.error).toBeUndefined();
  });

  it('with prompt_via file, writes the prompt file and gives nothing on stdin', async () => {
    const prompt = bigPrompt();
    const request = makeRequest(dir, { prompt });
    const file = `${request.outputPrefix}.prompt`;
    const agent = instrument({ name: 'agent', command: [node, '-e', `${HASH_STDIN}; process.stdout.write(require('node:fs').readFileSync(process.argv[1], 'utf8').length + ' ')`], promptVia: 'file' });
    const outcome = await agent.run({ ...request, args: [file] }, new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    // stdin is empty (/dev/null); the file holds the whole prompt.
    expect(outcome.stdoutTail).toBe(`${prompt.length} ${sha256('')} 0\n`);
    expect(await readFile(file, 'utf8')).toBe(prompt);
  });

  it('with prompt_via arg, appends the prompt as the last argv element, exactly', async () => {
    const prompt = 'review "this" ✓\nand $HOME `that`';
    const agent = instrument({ name: 'agent', command: [node, '-e', HASH_ARG], promptVia: 'arg' });
    const outcome = await agent.run(makeRequest(dir, { prompt }), new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    expect(outcome.stdoutTail).toBe(`${sha256(prompt)}\n`);
  });

  it.runIf(process.platform === 'linux')(
    'with prompt_via arg, fails a prompt longer than one argument may be at once: unavailable, permanent, nothing started',
    async () => {
      const prompt = 'x'.repeat(MAX_ARG_BYTES); // with its NUL, one byte over
      const agent = instrument({ name: 'agent', command: [node, '-e', HASH_ARG], promptVia: 'arg' });
      const hooks = countingHooks();
      const outcome = await agent.run(makeRequest(dir, { prompt }), new AbortController().signal, hooks);
      expect(outcome).toMatchObject({ status: 'failure', unavailable: true, startError: { permanent: true } });
      expect(outcome.error).toContain(`the prompt is ${MAX_ARG_BYTES} bytes`);
      expect(outcome.error).toContain('128 KiB');
      expect(outcome.error).toContain('prompt_via: stdin');
      expect(hooks.started).toBe(0);
    },
  );

  it.runIf(process.platform === 'linux')('with prompt_via arg, passes the longest prompt the kernel takes', async () => {
    const prompt = 'y'.repeat(MAX_ARG_BYTES - 1);
    const agent = instrument({ name: 'agent', command: [node, '-e', HASH_ARG], promptVia: 'arg' });
    const outcome = await agent.run(makeRequest(dir, { prompt }), new AbortController().signal, countingHooks());
    expect(outcome.status).toBe('success');
    expect(outcome.stdoutTail).toBe(`${sha256(prompt)}\n`);
  });
});
