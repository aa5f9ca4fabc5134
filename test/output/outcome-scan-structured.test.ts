/** The judgement of a JSON result (scanOutcome with `output`): failure, error text, rate-limit wait, cost. */
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../src/index.js';
import type { StreamFindings, StructuredFindings } from '../../src/actors/process/output-scan.js';
import { scanOutcome, type OutcomeScanSpec } from '../../src/runtime/attempts/outcome-scan.js';
import type { RateLimitSpec } from '../../src/score/types.js';

const rateLimit: RateLimitSpec = {
  patterns: [/rate.?limit/i],
  streams: ['stderr'],
  retryAfter: /retry in (\d+)s/i,
  defaultWaitMs: 60_000,
  minWaitMs: 1_000,
  maxWaitMs: 3_600_000,
  scope: 'instrument',
};
const agent: OutcomeScanSpec = { rateLimit, output: { format: 'json', cost: 'total_cost_usd', failed: 'is_error', message: 'result', retryAfter: 'retry_after_s' } };

const exited = (code: number, structured: StructuredFindings, stderr: StreamFindings = { rateLimited: false }): AttemptOutcome => ({
  status: code === 0 ? 'success' : 'failure',
  exitCode: code,
  signal: null,
  scanned: { structured, rateLimit: { stderr } },
});

describe('scanOutcome with a JSON result', () => {
  it('an exit 0 whose result has failed: false, or no failed field, is left a success', () => {
    expect(scanOutcome(exited(0, { failed: false, message: 'rate limit, just kidding', costUsd: 0.2 }), agent)).toEqual({ costUsd: 0.2 });
    expect(scanOutcome(exited(0, {}), agent)).toEqual({});
  });

  it('an exit 0 with failed: true or a problem fails, its error from the message or the problem', () => {
    expect(scanOutcome(exited(0, { failed: true, message: 'boom' }), agent)).toEqual({ failed: true, error: 'exited 0 but reported a failure (is_error is true): boom' });
    expect(scanOutcome(exited(0, { failed: true }), agent)).toEqual({ failed: true, error: 'exited 0 but reported a failure (is_error is true)' });
    expect(scanOutcome(exited(0, { problem: 'output: no JSON object on stdout (stdout is empty)' }), agent)).toEqual({
      failed: true,
      error: 'output: no JSON object on stdout (stdout is empty)',
    });
  });

  it('a non-zero exit stays a failure whatever the result says; the message follows the exit status', () => {
    expect(scanOutcome(exited(2, { failed: false, message: 'fine' }), agent)).toEqual({ error: 'exited with status 2: fine' });
    expect(scanOutcome({ status: 'failure', exitCode: null, signal: 'SIGKILL', scanned: { structured: { message: 'cut' } } }, agent)).toEqual({ error: 'killed by SIGKILL: cut' });
    expect(scanOutcome(exited(2, { problem: 'output: no JSON object on stdout (stdout is empty)' }), agent)).toEqual({});
  });

  it("a rate limit in the message waits the result's retry_after first, then a retry_after match in the streams, then in the message, then default_wait", () => {
    const limited = { failed: true, message: 'rate limit', rateLimit: { rateLimited: true, retryAfterS: 9 } };
    expect(scanOutcome(exited(0, { ...limited, retryAfterS: 3 }), agent).rateLimitWaitMs).toBe(3_000);
    expect(scanOutcome(exited(0, limited, { rateLimited: false, retryAfterS: 5 }), agent).rateLimitWaitMs).toBe(5_000);
    expect(scanOutcome(exited(0, limited), agent).rateLimitWaitMs).toBe(9_000);
    expect(scanOutcome(exited(0, { ...limited, rateLimit: { rateLimited: true } }), agent).rateLimitWaitMs).toBe(60_000);
    // A limit on stderr takes the result's retry_after too; bounded by min_wait.
    expect(scanOutcome(exited(1, { retryAfterS: 0 }, { rateLimited: true }), agent).rateLimitWaitMs).toBe(1_000);
  });

  it('no rate limit without patterns, nor on a success, nor from retry_after alone', () => {
    const limited = { failed: true, message: 'rate limit', rateLimit: { rateLimited: true }, retryAfterS: 3 };
    expect(scanOutcome(exited(0, limited), { output: agent.output })).toEqual({ failed: true, error: 'exited 0 but reported a failure (is_error is true): rate limit' });
    expect(scanOutcome(exited(0, { ...limited, failed: false }), agent)).toEqual({});
    expect(scanOutcome(exited(1, { retryAfterS: 3 }), agent)).toEqual({});
  });

  it('an outcome with only tails has its stdout tail read', () => {
    const outcome: AttemptOutcome = { status: 'success', exitCode: 0, stdoutTail: '{"is_error":true,"result":"no","total_cost_usd":0.5}\n' };
    expect(scanOutcome(outcome, agent)).toEqual({ failed: true, error: 'exited 0 but reported a failure (is_error is true): no', costUsd: 0.5 });
  });
});
