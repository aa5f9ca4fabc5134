import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastNonEmptyLine, OUTPUT_TAIL_BYTES, readTail } from '../../src/actors/process/output-tail.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-actors-');
});
afterEach(() => {
  removeDir(dir);
});

describe('readTail', () => {
  it('returns a small file whole', async () => {
    await writeFile(join(dir, 'f'), 'hello\nworld\n');
    expect(await readTail(join(dir, 'f'))).toBe('hello\nworld\n');
  });

  it('returns only the last bytes of a large file', async () => {
    await writeFile(join(dir, 'f'), 'a'.repeat(3 * OUTPUT_TAIL_BYTES) + 'the end');
    const tail = await readTail(join(dir, 'f'));
    expect(tail.length).toBe(OUTPUT_TAIL_BYTES);
    expect(tail.endsWith('athe end')).toBe(true);
  });

  it('drops a multibyte character cut at the start of the window', async () => {
    // "é" is two bytes; a window of 5 bytes over "éééé" starts inside a character.
    await writeFile(join(dir, 'f'), 'éééé');
    expect(await readTail(join(dir, 'f'), 5)).toBe('éé');
  });

  it('reads a missing file as empty', async () => {
    expect(await readTail(join(dir, 'missing'))).toBe('');
  });
});

describe('lastNonEmptyLine', () => {
  it('finds the last line with text, trimmed', () => {
    expect(lastNonEmptyLine('one\n  two  \n\n   \n')).toBe('two');
    expect(lastNonEmptyLine('only')).toBe('only');
  });

  it('is undefined for blank text', () => {
    expect(lastNonEmptyLine('')).toBeUndefined();
    expect(lastNonEmptyLine('\n \n')).toBeUndefined();
  });

  it('cuts a long line', () => {
    const line = lastNonEmptyLine('x'.repeat(500), 200)!;
    expect(line.length).toBe(200);
    expect(line.endsWith('…')).toBe(true);
  });
});
