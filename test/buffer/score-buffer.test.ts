import { describe, expect, it } from 'vitest';
import { parse, singleProblem } from '../score/helpers.js';

const withBuffer = (buffer: string): string => `version: 1
name: test
instruments:
  api: { kind: command, command: [call-api], buffer: ${buffer} }
sheets:
  - id: a
`;

describe('instruments.<name>.buffer in a score', () => {
  it('compiles size and workers, workers defaulting to 1', () => {
    expect(parse(withBuffer('{ size: 8, workers: 3 }')).instruments.api!.buffer).toEqual({ size: 8, workers: 3 });
    expect(parse(withBuffer('{ size: 4 }')).instruments.api!.buffer).toEqual({ size: 4, workers: 1 });
    expect(parse(withBuffer('{ size: 0 }')).instruments.api!.buffer).toEqual({ size: 0, workers: 1 });
  });

  it('leaves an instrument without one unbuffered', () => {
    expect(parse(withBuffer('{ size: 1 }').replace(', buffer: { size: 1 }', '')).instruments.api!.buffer).toBeUndefined();
  });

  it('names the bad field of a bad buffer', () => {
    expect(singleProblem(withBuffer('{ size: -1 }'), 'instruments.api.buffer.size')).toBe('must be at least 0');
    expect(singleProblem(withBuffer('{ size: 2.5 }'), 'instruments.api.buffer.size')).toMatch(/integer/);
    expect(singleProblem(withBuffer('{ size: 2, workers: 0 }'), 'instruments.api.buffer.workers')).toBe('must be at least 1');
    expect(singleProblem(withBuffer('{ workers: 2 }'), 'instruments.api.buffer.size')).toBe('required (expected a number)');
    expect(singleProblem(withBuffer('{ size: 2, slots: 3 }'), 'instruments.api.buffer.slots')).toBe('unknown field "slots"');
  });
});
