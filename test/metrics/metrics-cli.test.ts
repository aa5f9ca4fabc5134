import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SHEET_STATES } from '../../src/index.js';
import { baton, scoreFile, startBaton, type BatonProcess } from '../cli/run-cli.js';
import { waitFor } from '../support/wait-for.js';
import { parseExposition, total, type Sample } from './exposition.js';

/** `gate` runs until the test creates `ws/go`: the run holds still while it is scraped. */
const SCORE = `
version: 1
name: metered
workspace: ws
instruments:
  sh: { kind: command, command: [bash, -c], cost_pattern: "cost_usd=([0-9.]+)" }
defaults: { retries: 1, backoff: { initial: 50ms, factor: 1, max: 50ms } }
sheets:
  - id: ok
    args: ["echo cost_usd=0.25"]
  - id: flaky
    args: ['[ "$BATON_ATTEMPT" -ge 2 ] || exit 3; echo cost_usd=0.5']
  - id: bad
    args: ["exit 4"]
  - id: gate
    timeout: 2m
    args: ["while [ ! -f {{workspace}}/go ]; do sleep 0.05; done; echo cost_usd=1"]
`;

interface Summary {
  outcome: string;
  costUsd: number;
  counts: Record<string, number>;
  sheets: Array<{ id: string; state: string; attempts: number }>;
}

/** A `baton` process whose output the test reads while it runs. */
class RunningBaton {
  private readonly proc: BatonProcess;
  /** The exit code. */
  readonly exited: Promise<number | null>;

  constructor(args: string[], cwd: string) {
    this.proc = startBaton(args, { cwd });
    this.exited = this.proc.exited.then((exit) => exit.code);
  }

  get stdout(): string {
    return this.proc.stdout();
  }

  get stderr(): string {
    return this.proc.stderr();
  }

  async metricsUrl(): Promise<string> {
    const url = await waitFor(() => /metrics at (http:\/\/\S+)/.exec(this.stderr)?.[1], { pollMs: 25 });
    return url;
  }

  async summary(): Promise<Summary> {
    return waitFor(
      () => {
        try {
          return JSON.parse(this.stdout) as Summary;
        } catch {
          return undefined;
        }
      },
      { pollMs: 25 },
    );
  }
}

/**
 * Scrapes until the process exits. With `--metrics-linger`, the scrape that ends the
 * linger is the last one answered, and it comes after the job ended.
 */
async function lastScrapeBeforeExit(run: RunningBaton, url: string): Promise<Sample[]> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  let last: Sample[] | undefined;
  while (!exited) {
    try {
      last = await scrape(url);
    } catch {
      // The server closed after the lingering scrape.
    }
    await sleep(25);
  }
  if (last === undefined) throw new Error(`no scrape answered; stderr: ${run.stderr}`);
  return last;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const attemptsOf = (s: Sample[], labels: Record<string, string> = {}): number => total(s, 'baton_attempts_total', { job: 'metered', ...labels });

describe('baton run --metrics-port', () => {
  it('serves /metrics during a real run, and its final counters match the run’s summary', async () => {
    const score = scoreFile(SCORE);
    const dir = dirname(score);
    const run = new RunningBaton(['run', score, '--metrics-port', '0', '--metrics-linger', '5m', '--json'], dir);
    const url = await run.metricsUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    // Wait until only `gate` is left running, then read the counters once more.
    await waitFor(
      async () => {
        const s = await scrape(url);
        const held = total(s, 'baton_sheets', { job: 'metered', state: 'running' }) === 1;
        return held && total(s, 'baton_sheets', { state: 'completed' }) + total(s, 'baton_sheets', { state: 'failed' }) === 3 ? s : undefined;
      },
      { pollMs: 25 },
    );
    const during = await scrape(url);
    expect(attemptsOf(during, { outcome: 'success' })).toBe(2);
    expect(attemptsOf(during, { outcome: 'failure', reason: 'failed' })).toBe(3);
    expect(total(during, 'baton_cost_usd_total', { job: 'metered', instrument: 'sh' })).toBeCloseTo(0.75, 9);
    expect(total(during, 'baton_dispatch_latency_seconds_count', { instrument: 'sh' })).toBe(6);
    expect(total(during, 'baton_circuit_breaker_state', { instrument: 'sh', state: 'closed' })).toBe(1);
    expect(total(during, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    const elsewhere = await fetch(url.replace(/\/metrics$/, '/'));
    expect(elsewhere.status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);

    writeFileSync(join(dir, 'ws', 'go'), '');
    const summary = await run.summary();
    // The job is over and the summary printed: the server lingers for this one last scrape.
    const final = await scrape(url);
    expect(await run.exited).toBe(1);

    const attempts = summary.sheets.reduce((n, s) => n + s.attempts, 0);
    expect(attempts).toBe(6);
    expect(attemptsOf(final)).toBe(attempts);
    expect(attemptsOf(final, { outcome: 'success' })).toBe(summary.counts.completed);
    expect(attemptsOf(final, { outcome: 'failure' })).toBe(attempts - summary.counts.completed!);
    expect(total(final, 'baton_cost_usd_total', { job: 'metered' })).toBeCloseTo(summary.costUsd, 9);
    expect(total(final, 'baton_dispatch_latency_seconds_count')).toBe(attempts);
    expect(total(final, 'baton_attempt_duration_seconds_count')).toBe(attempts);
    for (const state of SHEET_STATES) {
      expect(total(final, 'baton_sheets', { job: 'metered', state }), state).toBe(summary.counts[state]);
    }

    // `resume` serves metrics too: the restored job's sheets, and no new attempt.
    const resumed = new RunningBaton(['resume', score, '--metrics-port', '0', '--metrics-linger', '5m', '--quiet'], dir);
    const resumedUrl = await resumed.metricsUrl();
    const after = await lastScrapeBeforeExit(resumed, resumedUrl);
    expect(await resumed.exited).toBe(1);
    expect(total(after, 'baton_sheets', { job: 'metered', state: 'completed' })).toBe(3);
    expect(total(after, 'baton_sheets', { job: 'metered', state: 'failed' })).toBe(1);
    expect(attemptsOf(after)).toBe(0);
  }, 60_000);

  it('refuses a port in use with one line and exit 2, running nothing', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const score = scoreFile(SCORE);
      const result = await baton(['run', score, '--metrics-port', String(port)], { cwd: dirname(score) });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`baton: --metrics-port ${port}: 127.0.0.1:${port} is already in use\n`);
      expect(result.stdout).toBe('');
      expect(existsSync(join(dirname(score), 'ws', 'baton.db'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('rejects a port that is not one, as a usage error', async () => {
    const score = scoreFile(SCORE);
    const result = await baton(['run', score, '--metrics-port', '70000'], { cwd: dirname(score) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--metrics-port <port>.*expected a port number/);
  });
});
