/**
 * Cross-sheet context under the real Conductor: real subprocesses print the dependencies'
 * output, real files are globbed in the workspace, and the program reads its prompt on stdin.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, type Conductor, type ContextItem, type SheetFunctionContext } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { startConductor } from '../integration/helpers.js';

let dir: string;
let conductor: Conductor;

beforeEach(() => {
  dir = makeTempDir('baton-context-');
  ({ conductor } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

const write = (file: string, text: string | Buffer): void => {
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), text);
};
const seen = (file = 'seen.txt'): string => readFileSync(join(dir, file), 'utf8');
/** A sheet whose program keeps the prompt it is given on stdin. */
const reader = { args: ['cat > {{workspace}}/seen.txt'] };
const instruments = { sh: { kind: 'command' as const, command: ['bash', '-c'] } };

describe('context: assembled at dispatch', () => {
  it('renders deps (depends_on order, members by index) then files (sorted) at {{context}}, saying what is skipped, cut or missing', async () => {
    write('notes/b.md', 'B\n');
    write('notes/a.md', 'A\n');
    write('notes/c.txt', 'not a markdown file\n');
    write('ref.txt', 'R');
    const score = defineScore({
      version: 1,
      name: 'order',
      workspace: dir,
      instruments,
      sheets: [
        { id: 'plan', args: ['printf "the plan\\n"'] },
        { id: 'an', fan_out: 2, args: ['printf "area {{fan.index}}"'] },
        { id: 'gate', retries: 0, escalate: true, args: ['exit 1'] },
        { id: 'big', args: ["head -c 100 /dev/zero | tr '\\0' x"] },
        {
          id: 'r',
          depends_on: ['an', 'plan', 'gate', 'big'],
          prompt: 'Review.\n{{context}}END',
          context: { deps: true, files: ['notes/*.md', 'ref.txt', 'gone.md', 'empty/*.md'], max_bytes: 40 },
          ...reader,
        },
      ],
    });
    const id = conductor.register(score);
    await waitFor(() => (conductor.status(id).sheets.find((s) => s.id === 'gate')?.state === 'fermata' ? true : undefined));
    conductor.decide(id, 'gate', 'skip');
    expect((await conductor.waitForCompletion(id)).outcome).toBe('completed');
    expect(seen()).toBe(
      [
        'Review.',
        '==> sheet an.1 <==\narea 1\n',
        '==> sheet an.2 <==\narea 2\n',
        '==> sheet plan <==\nthe plan\n',
        '==> sheet gate (skipped: no output) <==\n',
        `==> sheet big <==\n${'x'.repeat(40)}\n[baton: cut, 60 of 100 bytes not shown: the item is longer than context.max_bytes]\n`,
        '==> file notes/a.md <==\nA\n',
        '==> file notes/b.md <==\nB\n',
        '==> file ref.txt <==\nR\n',
        '==> file gone.md (missing) <==\n',
        '==> file empty/*.md (no file matches) <==\nEND',
      ].join('\n'),
    );
  });

  it('caps each item at max_bytes and all of them at total_max_bytes, never splitting a character', async () => {
    write('u.txt', 'é'.repeat(15));
    write('v.txt', 'x'.repeat(30));
    write('w.txt', 'y'.repeat(30));
    const score = defineScore({
      version: 1,
      name: 'caps',
      workspace: dir,
      instruments,
      sheets: [{ id: 'r', prompt: '{{context}}', context: { files: ['*.txt'], max_bytes: 25, total_max_bytes: 50 }, ...reader }],
    });
    expect((await conductor.waitForCompletion(conductor.register(score))).outcome).toBe('completed');
    expect(seen()).toBe(
      [
        `==> file u.txt <==\n${'é'.repeat(12)}\n[baton: cut, 6 of 30 bytes not shown: the item is longer than context.max_bytes]\n`,
        `==> file v.txt <==\n${'x'.repeat(25)}\n[baton: cut, 5 of 30 bytes not shown: the item is longer than context.max_bytes]\n`,
        '==> file w.txt <==\ny\n[baton: cut, 29 of 30 bytes not shown: context.total_max_bytes is reached]\n',
      ].join('\n'),
    );
  });

  it('carries output that is not UTF-8 with replacement characters, and reads only the start of a huge file', async () => {
    write('huge.log', '');
    truncateSync(join(dir, 'huge.log'), 50 * 1024 * 1024);
    const score = defineScore({
      version: 1,
      name: 'bytes',
      workspace: dir,
      instruments,
      sheets: [
        { id: 'bin', args: ["printf '\\xff\\xfeok\\n'"] },
        { id: 'r', depends_on: ['bin'], prompt: 'look:', context: { deps: true, files: ['huge.log'] }, ...reader },
      ],
    });
    expect((await conductor.waitForCompletion(conductor.register(score))).outcome).toBe('completed');
    const text = seen();
    expect(text.startsWith('look:\n\n==> sheet bin (not valid UTF-8: shown with replacement characters) <==\n\ufffd\ufffdok\n\n==> file huge.log <==\n')).toBe(true);
    expect(text.endsWith(`\0\n[baton: cut, ${50 * 1024 * 1024 - 65536} of ${50 * 1024 * 1024} bytes not shown: the item is longer than context.max_bytes]\n`)).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(70_000);
  });

  it('appends the context to a prompt that does not name {{context}}', async () => {
    const score = defineScore({
      version: 1,
      name: 'append',
      workspace: dir,
      instruments,
      sheets: [
        { id: 'plan', args: ['echo P'] },
        { id: 'r', depends_on: ['plan'], prompt: 'Review this.', context: { deps: true }, ...reader },
      ],
    });
    expect((await conductor.waitForCompletion(conductor.register(score))).outcome).toBe('completed');
    expect(seen()).toBe('Review this.\n\n==> sheet plan <==\nP\n');
    expect(seen(join('sheets', 'r', '1.prompt'))).toBe('Review this.\n\n==> sheet plan <==\nP\n');
  });
});

describe('{{deps.ID.output}}', () => {
  it("renders a dependency's stdout (cut at max_bytes, saying so) and a function's output as JSON, in args and the prompt", async () => {
    const score = defineScore({
      version: 1,
      name: 'outputs',
      workspace: dir,
      instruments: {
        ...instruments,
        argv: { kind: 'command', command: ['bash', '-c', 'printf "%s|" "$@" > "$BATON_WORKSPACE/args.txt"; cat > "$BATON_WORKSPACE/seen.txt"', '_'] },
        js: { kind: 'function', run: () => ({ ok: true, output: { n: 1, s: 'é' } }) },
      },
      sheets: [
        { id: 'plan', instrument: 'sh', args: ['printf "P\\n"'] },
        { id: 'long', instrument: 'sh', args: ['head -c 70000 /dev/zero | tr "\\0" z'] },
        { id: 'f', instrument: 'js' },
        {
          id: 'r',
          instrument: 'argv',
          depends_on: ['plan', 'long', 'f'],
          args: ['{{deps.plan.output}}', '{{deps.f.output}}', '{{deps.long.output}}'],
          prompt: 'plan said {{deps.plan.output}}',
        },
      ],
    });
    expect((await conductor.waitForCompletion(conductor.register(score))).outcome).toBe('completed');
    const cut = '[baton: cut, 4464 of 70000 bytes not shown: the item is longer than context.max_bytes]\n';
    expect(seen('args.txt')).toBe(`P\n|{"n":1,"s":"é"}|${'z'.repeat(65536)}${cut}|`);
    expect(seen()).toBe('plan said P\n');
  });
});

describe('ctx.context', () => {
  it('gives a function instrument the items: source, text, truncated (and a note when there is one)', async () => {
    write('notes/a.md', 'A'.repeat(10));
    let given: ContextItem[] | undefined;
    const score = defineScore({
      version: 1,
      name: 'fn',
      workspace: dir,
      instruments: {
        ...instruments,
        js: {
          kind: 'function',
          run: (ctx: SheetFunctionContext) => {
            given = ctx.context;
            return { ok: true };
          },
        },
      },
      sheets: [
        { id: 'plan', instrument: 'sh', args: ['echo P'] },
        { id: 'r', instrument: 'js', depends_on: ['plan'], context: { deps: ['plan'], files: ['notes/*', 'gone.md'], max_bytes: 4 } },
      ],
    });
    expect((await conductor.waitForCompletion(conductor.register(score))).outcome).toBe('completed');
    expect(given).toEqual([
      { source: 'plan', text: 'P\n', truncated: false },
      { source: 'notes/a.md', text: 'AAAA', truncated: true },
      { source: 'gone.md', text: '', truncated: false, note: 'missing' },
    ]);
  });
});
