/**
 * Reading `output:` fields from the JSON result at the end of stdout, as text: which object
 * counts (json: the one that ends stdout, pretty-printed or not; jsonl: the last line that
 * parses), dotted paths, and what is a problem (no object, a field of the wrong type).
 */
import { describe, expect, it } from 'vitest';
import type { OutputScanRules, StructuredOutputRules } from '../../src/actors/process/output-scan.js';
import { readStructuredOutput } from '../../src/actors/process/structured-output.js';

const AGENT: StructuredOutputRules = { format: 'json', cost: 'total_cost_usd', failed: 'is_error', message: 'result', retryAfter: 'retry_after_s' };
const LIMITS: OutputScanRules['rateLimit'] = {
  patterns: [{ source: 'rate.?limit', flags: 'i' }],
  retryAfter: { source: 'retry in (\\d+)s', flags: 'i' },
  streams: ['stderr'],
};

const read = (text: string, rules: StructuredOutputRules = AGENT, whole = true) => readStructuredOutput(text, whole, rules, LIMITS);

describe('format json: the object that ends stdout', () => {
  it('reads the whole stdout as one document', () => {
    expect(read('{"total_cost_usd":0.25,"is_error":false,"result":"done"}\n')).toEqual({ costUsd: 0.25, failed: false, message: 'done', rateLimit: { rateLimited: false } });
  });

  it('finds a pretty-printed result after a transcript, and not an object nested in it', () => {
    const result = JSON.stringify({ is_error: true, usage: { cost: 0.5 }, steps: [{ is_error: false }, { is_error: false }] }, null, 2);
    const text = `> session started\n{"is_error": false, "note": "an earlier object"}\n[tool] grep\n${result}\n\n`;
    expect(read(text, { format: 'json', failed: 'is_error', cost: 'usage.cost' })).toEqual({ failed: true, costUsd: 0.5 });
  });

  it('reads dotted paths through objects and array indexes, own fields only', () => {
    const text = '{"runs":[{"cost":0.1},{"cost":0.2}],"meta":{}}';
    expect(read(text, { format: 'json', cost: 'runs.1.cost' })).toEqual({ costUsd: 0.2 });
    expect(read(text, { format: 'json', cost: 'meta.constructor' })).toEqual({});
    expect(read(text, { format: 'json', cost: 'runs.length' })).toEqual({});
  });

  it('is a problem when stdout does not end with an object: text after it, an array, nothing at all', () => {
    expect(read('{"total_cost_usd":1}\nbye\n').problem).toMatch(/^output: no JSON object at the end of stdout \(format json/);
    expect(read('[{"total_cost_usd":1}]').problem).toMatch(/^output: no JSON object at the end of stdout/);
    expect(read('Error: crashed before printing anything\n').problem).toMatch(/^output: no JSON object at the end of stdout/);
    expect(read('').problem).toBe('output: no JSON object on stdout (stdout is empty)');
    expect(read('{"total_cost_usd": 1,\n').problem).toMatch(/^output: no JSON object/);
  });

  it('does not read an object on the first line of a window that may be cut, and names the window', () => {
    expect(read('"x": 1, "total_cost_usd": 3}', AGENT, false).problem).toBe(
      'output: no JSON object at the end of stdout in its last 8 MiB (format json: the result is the last thing printed, starting on a line of its own)',
    );
    expect(read('...cut\n{"total_cost_usd": 3}', AGENT, false)).toMatchObject({ costUsd: 3 });
  });
});

describe('format jsonl: the last line that parses as a JSON object', () => {
  const JSONL: StructuredOutputRules = { ...AGENT, format: 'jsonl' };

  it('skips lines after it that do not parse, and arrays, numbers and text', () => {
    const text = ['{"type":"start","total_cost_usd":0.1}', '{"type":"result","total_cost_usd":0.3,"is_error":false}', '{"type":"partial", "total_c', '[1,2]', '42', 'bye', ''].join('\n');
    expect(read(text, JSONL)).toEqual({ costUsd: 0.3, failed: false });
  });

  it('is a problem when no line parses', () => {
    expect(read('one\n{two\n', JSONL).problem).toBe('output: no line of stdout parses as a JSON object (format jsonl)');
    expect(read('{"total_cost_usd": 1}\nline cut', JSONL, false).problem).toBe('output: no line of stdout in its last 8 MiB parses as a JSON object (format jsonl)');
  });
});

describe('fields', () => {
  it('a field of the wrong type is a problem naming its path and value; the fields that are right still count', () => {
    const found = read('{"total_cost_usd":"0.25","is_error":"yes","result":"ok","retry_after_s":-1}');
    expect(found.problem).toBe(
      'output: total_cost_usd (output.cost) is "0.25", not a number >= 0; output: is_error (output.failed) is "yes", not a boolean; output: retry_after_s (output.retry_after) is -1, not a number of seconds >= 0',
    );
    expect(found.message).toBe('ok');
  });

  it('a missing or null field is absent, not a problem', () => {
    expect(read('{"total_cost_usd":null,"other":1}')).toEqual({});
  });

  it('the message is kept on one line and cut short, but scanned whole for rate limits and retry_after', () => {
    const message = `${'working\n'.repeat(200)}Rate limit reached; retry in 42s`;
    const found = read(JSON.stringify({ result: message }));
    expect(found.message).toHaveLength(300);
    expect(found.message).toMatch(/^working working .*…$/);
    expect(found.rateLimit).toEqual({ rateLimited: true, retryAfterS: 42 });
  });

  it('without rate_limit patterns the message is not scanned', () => {
    expect(readStructuredOutput('{"result":"rate limit"}', true, AGENT, undefined)).toEqual({ message: 'rate limit' });
  });
});
