import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { headOf } from '../../src/runtime/attempts/context-read.js';
import { sizeBytes, sizeProblem } from '../../src/score/size.js';

describe('a context cut', () => {
  test.prop([fc.string({ unit: 'grapheme' }), fc.nat({ max: 64 })])('never splits a character: what is kept is a prefix of the text, within the cap', (text, cap) => {
    const head = headOf(text, cap);
    expect(text.startsWith(head.text)).toBe(true);
    expect(head.kept).toBe(Buffer.byteLength(head.text));
    expect(head.kept).toBeLessThanOrEqual(cap);
    // At most one character's bytes less than the cap: a cut backs off only to a character's start.
    expect(head.kept).toBeGreaterThan(Math.min(cap, head.size) - 4);
    expect(head.invalidUtf8).toBe(false);
  });
});

describe('sizes', () => {
  it.each([
    [65536, 65536],
    ['64KiB', 65536],
    ['64 kib', 65536],
    ['1.5MiB', 1572864],
    ['500KB', 500000],
    ['2GB', 2e9],
    ['10', 10],
    ['10B', 10],
  ])('%s is %d bytes', (value, bytes) => {
    expect(sizeProblem(value)).toBeNull();
    expect(sizeBytes(value)).toBe(bytes);
  });

  it.each([['64k'], ['-1'], [''], ['KiB'], [true], [0], ['0.5']])('%s is not a size', (value) => {
    expect(sizeProblem(value)).toMatch(/^invalid size/);
  });
});
