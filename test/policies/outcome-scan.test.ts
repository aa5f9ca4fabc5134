import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../src/index.js';
import { scanOutcome } from '../../src/runtime/attempts/outcome-scan.js';
import type { RateLimitSpec } from '../../src/score/types.js';

const spec = (over: Partial<RateLimitSpec> = {}): RateLimitSpec => ({
  patterns: [/rate.?limit/i, /\b429\b/i],
  streams: ['stderr'],
  retryAfter: /retry.?after:? *(\d+(?:\.\d+)?)/i,
  defaultWaitMs: 60_000,
  maxWaitMs: 3_600_000,
  scope: 'instrument',
  ...over,
});

const failed = (over: Partial<AttemptOutcome> = {}): AttemptOutcome => ({ status: 'failure', exitCode: 1, ...over });
const succeeded = (over: Partial<AttemptOutcome> = {}): AttemptOutcome => ({ status: 'success', exitCode: 0, ...over });

describe('scanOutcome: rate limits', () => {
  it('finds nothing without a rate_limit spec or a reported wait', () => {
    expect(scanOutcome(failed({ stderrTail: 'rate limit exceeded' }), {})).toEqual({});
  });

  it('finds nothing when no pattern matches', () => {
    expect(scanOutcome(failed({ stderrTail: 'segmentation fault' }), { rateLimit: spec() })).toEqual({});
  });

  it('uses the default wait when a pattern matches and retry_after does not', () => {
    expect(scanOutcome(failed({ stderrTail: 'HTTP 429 Too Many Requests' }), { rateLimit: spec() })).toEqual({
      rateLimitWaitMs: 60_000,
    });
  });

  it('uses the default wait when the spec has no retry_after', () => {
    const rateLimit = spec({ retryAfter: undefined });
    expect(scanOutcome(failed({ stderrTail: 'rate limited; retry after 5' }), { rateLimit })).toEqual({
      rateLimitWaitMs: 60_000,
    });
  });

  it('parses retry_after seconds, decimals included', () => {
    const rateLimit = spec();
    expect(scanOutcome(failed({ stderrTail: 'rate limit hit. Retry-After: 30' }), { rateLimit }).rateLimitWaitMs).toBe(30_000);
    expect(scanOutcome(failed({ stderrTail: 'rate limit hit. retry after 1.5' }), { rateLimit }).rateLimitWaitMs).toBe(1_500);
    // Floored to min_wait (1 s by default).
    expect(scanOutcome(failed({ stderrTail: 'rate limit hit. retry after 0' }), { rateLimit }).rateLimitWaitMs).toBe(1_000);
  });

  it('takes the last retry_after in the stream (the most recent message)', () => {
    const stderrTail = 'rate limit, retry after 5\nrate limit, retry after 20\n';
    expect(scanOutcome(failed({ stderrTail }), { rateLimit: spec() }).rateLimitWaitMs).toBe(20_000);
  });

  it('clamps a parsed wait to max_wait, but not the default', () => {
    const stderrTail = 'rate limit; retry after 99999';
    expect(scanOutcome(failed({ stderrTail }), { rateLimit: spec({ maxWaitMs: 120_000 }) }).rateLimitWaitMs).toBe(120_000);
    const noHint = spec({ defaultWaitMs: 300_000, maxWaitMs: 120_000 });
    expect(scanOutcome(failed({ stderrTail: 'rate limit' }), { rateLimit: noHint }).rateLimitWaitMs).toBe(300_000);
  });

  it('falls back to the default when the retry_after capture is not a number', () => {
    const rateLimit = spec({ retryAfter: /retry after (\S+)/i });
    expect(scanOutcome(failed({ stderrTail: 'rate limit; retry after soon' }), { rateLimit }).rateLimitWaitMs).toBe(60_000);
    // An optional group that did not take part in the match is no value either.
    const optional = spec({ retryAfter: /retry after( \d+)?/i });
    expect(scanOutcome(failed({ stderrTail: 'rate limit; retry after later' }), { rateLimit: optional }).rateLimitWaitMs).toBe(
      60_000,
    );
  });

  it('keeps the last valid retry_after when a later match does not parse', () => {
    const rateLimit = spec({ retryAfter: /retry after (\S+)/i });
    const stderrTail = 'rate limit; retry after 7\nrate limit; retry after soon';
    expect(scanOutcome(failed({ stderrTail }), { rateLimit }).rateLimitWaitMs).toBe(7_000);
  });

  it('scans only stderr by default', () => {
    expect(scanOutcome(failed({ stdoutTail: 'rate limit exceeded', stderrTail: '' }), { rateLimit: spec() })).toEqual({});
  });

  it('scans stdout when listed', () => {
    const rateLimit = spec({ streams: ['stdout'] });
    expect(scanOutcome(failed({ stdoutTail: 'rate limit; retry after 12' }), { rateLimit }).rateLimitWaitMs).toBe(12_000);
    // …and then only stdout.
    expect(scanOutcome(failed({ stderrTail: 'rate limit' }), { rateLimit })).toEqual({});
  });

  it('searches retry_after in every scanned stream, not only the one that matched', () => {
    const rateLimit = spec({ streams: ['stderr', 'stdout'] });
    const outcome = failed({ stderrTail: 'Error: 429', stdoutTail: 'server said retry-after: 45' });
    expect(scanOutcome(outcome, { rateLimit }).rateLimitWaitMs).toBe(45_000);
  });

  it('prefers the first listed stream for retry_after', () => {
    const outcome = failed({ stderrTail: 'rate limit; retry after 3', stdoutTail: 'rate limit; retry after 4' });
    expect(scanOutcome(outcome, { rateLimit: spec({ streams: ['stderr', 'stdout'] }) }).rateLimitWaitMs).toBe(3_000);
    expect(scanOutcome(outcome, { rateLimit: spec({ streams: ['stdout', 'stderr'] }) }).rateLimitWaitMs).toBe(4_000);
  });

  it('treats an empty streams list as the default (stderr)', () => {
    expect(scanOutcome(failed({ stderrTail: 'rate limit' }), { rateLimit: spec({ streams: [] }) }).rateLimitWaitMs).toBe(60_000);
  });

  it('is case-insensitive even when a pattern built in code lacks the i flag', () => {
    const rateLimit = spec({ patterns: [/rate limit/], retryAfter: /retry after (\d+)/ });
    expect(scanOutcome(failed({ stderrTail: 'RATE LIMIT. RETRY AFTER 9' }), { rateLimit }).rateLimitWaitMs).toBe(9_000);
  });

  it('does not disturb global or sticky patterns given in code', () => {
    const pattern = /rate limit/gy;
    const retryAfter = /retry after (\d+)/gy;
    const rateLimit = spec({ patterns: [pattern], retryAfter });
    for (let i = 0; i < 3; i++) {
      expect(scanOutcome(failed({ stderrTail: 'xx rate limit; retry after 2' }), { rateLimit }).rateLimitWaitMs).toBe(2_000);
    }
    expect(pattern.lastIndex).toBe(0);
    expect(retryAfter.lastIndex).toBe(0);
  });

  it('never rate-limits a successful attempt, whatever it printed', () => {
    const rateLimit = spec({ streams: ['stdout', 'stderr'] });
    const outcome = succeeded({ stdoutTail: 'rate limit; retry after 5', stderrTail: '429', rateLimitedS: 10 });
    expect(scanOutcome(outcome, { rateLimit })).toEqual({});
  });

  it('treats any non-zero exit (and a failure without exit code) as eligible', () => {
    const rateLimit = spec();
    expect(scanOutcome(failed({ exitCode: 2, stderrTail: '429' }), { rateLimit }).rateLimitWaitMs).toBe(60_000);
    expect(scanOutcome({ status: 'failure', signal: 'SIGTERM', exitCode: null, stderrTail: '429' }, { rateLimit }).rateLimitWaitMs).toBe(
      60_000,
    );
  });

  describe('a wait reported by the instrument (rateLimitedS)', () => {
    it('wins over the scanned output', () => {
      const outcome = failed({ rateLimitedS: 7, stderrTail: 'rate limit; retry after 30' });
      expect(scanOutcome(outcome, { rateLimit: spec() }).rateLimitWaitMs).toBe(7_000);
    });

    it('counts without any rate_limit spec, within the default min_wait and max_wait (1 s, 1 h)', () => {
      expect(scanOutcome(failed({ rateLimitedS: 90 }), {}).rateLimitWaitMs).toBe(90_000);
      expect(scanOutcome(failed({ rateLimitedS: 7_200 }), {}).rateLimitWaitMs).toBe(3_600_000);
      expect(scanOutcome(failed({ rateLimitedS: 1e7 }), {}).rateLimitWaitMs).toBe(3_600_000);
      expect(scanOutcome(failed({ rateLimitedS: Infinity }), {}).rateLimitWaitMs).toBe(3_600_000);
      expect(scanOutcome(failed({ rateLimitedS: 0.25 }), {}).rateLimitWaitMs).toBe(1_000);
      expect(scanOutcome(failed({ rateLimitedS: 0 }), {}).rateLimitWaitMs).toBe(1_000);
      expect(scanOutcome(failed({ rateLimitedS: -5 }), {}).rateLimitWaitMs).toBe(1_000);
    });

    it('is floored to min_wait when a spec exists', () => {
      const rateLimit = spec({ minWaitMs: 5_000 });
      expect(scanOutcome(failed({ rateLimitedS: 0 }), { rateLimit }).rateLimitWaitMs).toBe(5_000);
      expect(scanOutcome(failed({ rateLimitedS: 2 }), { rateLimit }).rateLimitWaitMs).toBe(5_000);
      expect(scanOutcome(failed({ rateLimitedS: 0.25 }), { rateLimit: spec({ minWaitMs: 100 }) }).rateLimitWaitMs).toBe(250);
    });

    it('is clamped to max_wait when a spec exists', () => {
      expect(scanOutcome(failed({ rateLimitedS: 7_200 }), { rateLimit: spec({ maxWaitMs: 60_000 }) }).rateLimitWaitMs).toBe(60_000);
      expect(scanOutcome(failed({ rateLimitedS: Infinity }), { rateLimit: spec({ maxWaitMs: 60_000 }) }).rateLimitWaitMs).toBe(
        60_000,
      );
    });

    it('ignores values that are not waits', () => {
      expect(scanOutcome(failed({ rateLimitedS: Number.NaN }), {})).toEqual({});
      // A NaN report falls through to the scan.
      expect(scanOutcome(failed({ rateLimitedS: Number.NaN, stderrTail: '429' }), { rateLimit: spec() }).rateLimitWaitMs).toBe(60_000);
    });
  });
});

describe('scanOutcome: cost', () => {
  const costPattern = /cost_usd=([0-9.]+)/;

  it('reads the first capture group from stdout', () => {
    expect(scanOutcome(succeeded({ stdoutTail: 'done cost_usd=0.42\n' }), { costPattern })).toEqual({ costUsd: 0.42 });
  });

  it('takes the last match (a running total)', () => {
    const stdoutTail = 'cost_usd=0.10\nworking\ncost_usd=0.25\nworking\ncost_usd=0.5\n';
    expect(scanOutcome(succeeded({ stdoutTail }), { costPattern }).costUsd).toBe(0.5);
  });

  it('reads the cost of failed attempts too', () => {
    expect(scanOutcome(failed({ stdoutTail: 'cost_usd=1.25' }), { costPattern }).costUsd).toBe(1.25);
  });

  it('reads stdout only, not stderr', () => {
    expect(scanOutcome(succeeded({ stderrTail: 'cost_usd=3' }), { costPattern })).toEqual({});
  });

  it('skips values that are not finite numbers >= 0, keeping the last valid one', () => {
    const loose = /cost: (\S+)/;
    expect(scanOutcome(succeeded({ stdoutTail: 'cost: abc' }), { costPattern: loose })).toEqual({});
    expect(scanOutcome(succeeded({ stdoutTail: 'cost: -1' }), { costPattern: loose })).toEqual({});
    expect(scanOutcome(succeeded({ stdoutTail: 'cost: Infinity' }), { costPattern: loose })).toEqual({});
    expect(scanOutcome(succeeded({ stdoutTail: 'cost: 1e999' }), { costPattern: loose })).toEqual({});
    expect(scanOutcome(succeeded({ stdoutTail: 'cost: 0.3\ncost: n/a' }), { costPattern: loose }).costUsd).toBe(0.3);
    // A lone "." captured by [0-9.]+ is no number.
    expect(scanOutcome(succeeded({ stdoutTail: 'cost_usd=.' }), { costPattern })).toEqual({});
  });

  it('reads a number followed by punctuation ("0.05." at the end of a sentence)', () => {
    expect(scanOutcome(succeeded({ stdoutTail: 'Total cost_usd=0.05.' }), { costPattern }).costUsd).toBe(0.05);
  });

  it('accepts a zero cost', () => {
    expect(scanOutcome(succeeded({ stdoutTail: 'cost_usd=0' }), { costPattern }).costUsd).toBe(0);
  });

  it("falls back to the outcome's own costUsd", () => {
    expect(scanOutcome(succeeded({ costUsd: 0.7 }), {}).costUsd).toBe(0.7);
    expect(scanOutcome(succeeded({ costUsd: 0.7, stdoutTail: 'no cost here' }), { costPattern }).costUsd).toBe(0.7);
    expect(scanOutcome(succeeded({ costUsd: 0.7, stdoutTail: 'cost_usd=0.9' }), { costPattern }).costUsd).toBe(0.9);
  });

  it("ignores an outcome's costUsd that is not a finite number >= 0", () => {
    expect(scanOutcome(succeeded({ costUsd: Number.NaN }), {})).toEqual({});
    expect(scanOutcome(succeeded({ costUsd: -1 }), {})).toEqual({});
    expect(scanOutcome(succeeded({ costUsd: Infinity }), {})).toEqual({});
  });

  it('keeps the pattern case-sensitive as written, and works with a global pattern', () => {
    expect(scanOutcome(succeeded({ stdoutTail: 'COST_USD=1' }), { costPattern })).toEqual({});
    const global = /cost_usd=([0-9.]+)/g;
    expect(scanOutcome(succeeded({ stdoutTail: 'cost_usd=1 cost_usd=2' }), { costPattern: global }).costUsd).toBe(2);
    expect(scanOutcome(succeeded({ stdoutTail: 'cost_usd=1 cost_usd=2' }), { costPattern: global }).costUsd).toBe(2);
    expect(global.lastIndex).toBe(0);
  });

  it('reports wait and cost together', () => {
    const outcome = failed({ stderrTail: 'rate limit; retry after 2', stdoutTail: 'cost_usd=0.01' });
    expect(scanOutcome(outcome, { rateLimit: spec(), costPattern })).toEqual({ rateLimitWaitMs: 2_000, costUsd: 0.01 });
  });
});

describe('scanOutcome: what the instrument found in the whole output (scanned)', () => {
  const costPattern = /cost_usd=([0-9.]+)/;

  it('is read instead of the tails', () => {
    const outcome = failed({ stdoutTail: 'cost_usd=0.1', stderrTail: 'rate limit; retry after 3', scanned: { costUsd: 0.5 } });
    expect(scanOutcome(outcome, { rateLimit: spec(), costPattern })).toEqual({ costUsd: 0.5 });
  });

  it('gives the wait of the first listed stream with a retry_after, once any stream is rate-limited', () => {
    const scanned = { rateLimit: { stderr: { rateLimited: true }, stdout: { rateLimited: false, retryAfterS: 4 } } };
    expect(scanOutcome(failed({ scanned }), { rateLimit: spec({ streams: ['stderr', 'stdout'] }) }).rateLimitWaitMs).toBe(4_000);
    const both = { rateLimit: { stderr: { rateLimited: true, retryAfterS: 2 }, stdout: { rateLimited: false, retryAfterS: 4 } } };
    expect(scanOutcome(failed({ scanned: both }), { rateLimit: spec({ streams: ['stdout', 'stderr'] }) }).rateLimitWaitMs).toBe(4_000);
    expect(scanOutcome(failed({ scanned: { rateLimit: { stderr: { rateLimited: false, retryAfterS: 2 } } } }), { rateLimit: spec() })).toEqual({});
  });

  it('clamps a found retry_after to max_wait, and never rate-limits a success', () => {
    const scanned = { rateLimit: { stderr: { rateLimited: true, retryAfterS: 99_999 } } };
    expect(scanOutcome(failed({ scanned }), { rateLimit: spec({ maxWaitMs: 120_000 }) }).rateLimitWaitMs).toBe(120_000);
    expect(scanOutcome(succeeded({ scanned }), { rateLimit: spec() })).toEqual({});
  });
});
