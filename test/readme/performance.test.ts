/**
 * README.md, "Performance": every figure of the table and of the text under it agrees with
 * bench/results.json, the file `npm run bench` writes. The bench is not run here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fanOutPeaks } from './fan-out.js';
import { flat, readmeSection, ROOT } from './readme.js';

interface BenchRow {
  scenario: string;
  n: number;
  baseline: string | null;
  batonMedianMs: number;
  baselineMedianMs: number | null;
  batonPeakHeapMB: number;
  batonMaxRssMB: number;
  batonExtra?: {
    decisionMedianUs?: number;
    decisionP99Us?: number;
    eventsSeenAtCompletion?: number;
    sqliteMedianMs?: number;
    redisMedianMs?: number;
    redisMaxMs?: number;
  };
}

interface BenchResults {
  machine: { node: string; cpus: number; cpu: string; memoryGB: number };
  runsEach: number;
  targets: Array<{ id: string; met: boolean }>;
  rows: BenchRow[];
}

const results = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
const section = readmeSection('Performance');
const text = flat(section);

/** How the README names each baseline of bench/results.json. */
const BASELINE_NAMES: Record<string, string> = {
  'p-queue': 'p-queue',
  'xstate-floor': 'bare XState floor',
  'sheet machine alone': 'the sheet machine alone',
  'xargs -P8': '`xargs -P8`',
  'node spawn': 'bare `child_process.spawn`',
  'baton inline spawn': 'baton spawning in-process',
  'memory-store': 'in-memory store',
  'flat fan-out': 'same sheets flat',
  'no subscriber': 'no subscriber',
  'no backend': 'the same cap without a backend',
  'redis backend': 'claimed from Redis instead',
};

const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => `${grouped(value)} ms`;
const seconds = (value: number): string => (value < 1000 ? ms(value) : value < 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value / 1000)} s`);
const ratio = (value: number): string => `${value >= 2 ? value.toFixed(1) : value.toFixed(2)}×`;
const mb = (value: number): string => `${Math.round(value)} MB`;

/** The table's rows as cells, each row carrying the scenario of the row that opened its group. */
function tableRows(): Array<{ scenario: string; cells: string[] }> {
  let scenario = '';
  return section
    .split('\n')
    .filter((line) => /^\| (S\d|\|)/.test(line))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/\*\*/g, ''));
      if (cells[0] !== '') scenario = /^S\d+/.exec(cells[0]!)![0];
      return { scenario, cells };
    });
}

function row(scenario: string, n: number, baseline: string | null): BenchRow {
  const found = results.rows.find((r) => r.scenario === scenario && r.n === n && r.baseline === baseline);
  if (found === undefined) throw new Error(`bench/results.json has no ${scenario} row for n=${n}, baseline ${baseline}`);
  return found;
}

describe('README "Performance" agrees with bench/results.json', () => {
  it('measured on a 2-core VM (24 GB), Node 20.20, 5 runs each', () => {
    const [major, minor] = results.machine.node.replace(/^v/, '').split('.');
    expect(text).toContain(`${results.runsEach} runs each`);
    const processor = /Intel\(R\) Xeon\(R\)/.test(results.machine.cpu) ? 'Intel Xeon' : results.machine.cpu;
    expect(text).toContain(`Measured on a ${results.machine.cpus}-core ${processor} VM (${results.machine.memoryGB} GB), Node ${major}.${minor},`);
  });

  it('each table row against a baseline: baton time and peak heap, the baseline time, and their ratio', () => {
    const compared = tableRows().filter(({ cells }) => cells[3] !== '—');
    expect(compared.length).toBeGreaterThan(10);
    for (const { scenario, cells } of compared) {
      const n = scenario === 'S6' ? 100 : Number(cells[1]!.replace(/,/g, ''));
      const name = Object.entries(BASELINE_NAMES).find(([, label]) => cells[3]!.startsWith(`${label} `));
      expect(name, `${scenario} baseline "${cells[3]}"`).toBeDefined();
      const bench = row(scenario, n, name![0]);
      const where = `${scenario} n=${n} against ${name![0]}`;
      expect(cells[3], where).toBe(`${name![1]} ${ms(bench.baselineMedianMs!)}`);
      expect(cells[4], where).toBe(ratio(bench.batonMedianMs / bench.baselineMedianMs!));
      if (cells[2] !== '') {
        expect(cells[2], where).toBe(ms(bench.batonMedianMs));
        expect(cells[5], where).toBe(mb(bench.batonPeakHeapMB));
      }
    }
  });

  it('S2 growth: the times and peak heaps at 1,000 to 1,000,000 sheets, and the 100k/10k ratio', () => {
    const sizes = [1000, 10_000, 100_000, 1_000_000];
    const rows = sizes.map((n) => row('S2', n, null));
    const [cells] = tableRows().filter((r) => r.scenario === 'S2').map((r) => r.cells);
    expect(cells![1]).toBe(sizes.map(grouped).join(' / '));
    expect(cells![2]).toBe(rows.map((r) => seconds(r.batonMedianMs)).join(' / '));
    expect(cells![4]).toBe(`100k/10k: ${(rows[2]!.batonMedianMs / rows[1]!.batonMedianMs).toFixed(1)}`);
    expect(cells![5]).toBe(`${rows.map((r) => Math.round(r.batonPeakHeapMB)).join(' / ')} MB`);
  });

  it('S3: the median and p99 of one dispatch decision, and the peak heap', () => {
    const bench = row('S3', 100_000, null);
    const [cells] = tableRows().filter((r) => r.scenario === 'S3').map((r) => r.cells);
    expect(cells![2]).toBe(`${bench.batonExtra!.decisionMedianUs!.toFixed(1)} µs median, ${Math.round(bench.batonExtra!.decisionP99Us!)} µs p99`);
    expect(cells![5]).toBe(mb(bench.batonPeakHeapMB));
  });

  it('Targets: S1 ≤ 1.5× the floor, S2, S3, S5, S6 and S8 (≤ 2×) are met; S1 ≤ 10× p-queue and S4 ≤ 1.3× `xargs -P8` are not', () => {
    expect(text).toContain('Targets: S1 ≤ 1.5× the floor, S2, S3, S5, S6 and S8 (≤ 2×) are met; S1 ≤ 10× p-queue and S4 ≤ 1.3× `xargs -P8` are not');
    const met = results.targets.filter((t) => t.met).map((t) => t.id);
    const missed = results.targets.filter((t) => !t.met).map((t) => t.id);
    expect(met.sort()).toEqual(['S1 vs floor', 'S2 1M heap', 'S2 growth', 'S3 decision', 'S5 durability', 'S6 layers', 'S8 slow subscriber']);
    expect(missed.sort()).toEqual(['S1 vs p-queue', 'S4 processes']);
  });

  it('S10: how long a rate limit took to reach another conductor, through SQLite and through Redis', () => {
    const bench = row('S10', 20, null);
    const [cells] = tableRows().filter((r) => r.scenario === 'S10').map((r) => r.cells);
    expect(cells![2]).toBe(`SQLite ${bench.batonExtra!.sqliteMedianMs} ms, Redis ${bench.batonExtra!.redisMedianMs} ms`);
    expect(cells![5]).toBe(mb(bench.batonPeakHeapMB));
    expect(bench.batonExtra!.sqliteMedianMs!).toBeLessThanOrEqual(250 + 10);
    expect(text).toContain(`(S10; its slowest, ${Math.round(bench.batonExtra!.redisMaxMs!)} ms, was one the announcement missed and the poll found)`);
  });

  it('sharing costs about 59 µs a dispatch through SQLite and 68 µs through Redis (S9)', () => {
    const local = row('S9', 10_000, 'no backend');
    const redis = row('S9', 10_000, 'redis backend');
    const perDispatch = (ms: number): number => Math.round(((ms - local.baselineMedianMs!) * 1000) / 10_000);
    expect(text).toContain(`about ${perDispatch(local.batonMedianMs)} µs a dispatch through SQLite and ${perDispatch(redis.baselineMedianMs!)} µs through Redis in S9`);
  });

  it("the 1,000,000-sheet job's peak resident set was 1.50 GB", () => {
    expect(text).toContain(`the 1,000,000-sheet job's peak resident set was ${(row('S2', 1_000_000, null).batonMaxRssMB / 1024).toFixed(2)} GB`);
  });

  it('time per sheet: about 42 µs at 100k, 26 µs for the sheet machine alone (8× p-queue), the runtime adding about 16 µs', () => {
    const baton = row('S1', 100_000, 'p-queue');
    const alone = row('S1', 100_000, 'sheet machine alone');
    const perSheet = Math.round((baton.batonMedianMs * 1000) / 100_000);
    const machine = Math.round((alone.baselineMedianMs! * 1000) / 100_000);
    expect(text).toContain(`**Time per sheet** is about ${perSheet} µs at 100k in this run`);
    expect(text).toContain(`costs ${machine} µs: already ${Math.round(alone.baselineMedianMs! / baton.baselineMedianMs!)}× p-queue's promise per task`);
    expect(text).toContain(`adds about ${perSheet - machine} µs a sheet`);
  });

  it('processes: S4 takes 0.68× the time of in-process spawning, and bare `child_process.spawn` is about 2× `xargs -P8`', () => {
    const inline = row('S4', 1000, 'baton inline spawn');
    const spawn = row('S4', 1000, 'node spawn');
    const xargs = row('S4', 1000, 'xargs -P8');
    expect(text).toContain(`S4 takes ${ratio(inline.batonMedianMs / inline.baselineMedianMs!)} the time of in-process spawning`);
    expect(text).toContain(`Bare \`child_process.spawn\` from a small process is still about ${Math.round(spawn.baselineMedianMs! / xargs.baselineMedianMs!)}× \`xargs -P8\``);
  });
});

describe('README "Embedding", the slow subscriber, agrees with bench S8', () => {
  it('1.65× as long as without it (bench S8: 188 ms against 114 ms, median of 5), the job ending when the subscriber had seen 5 events', () => {
    const embedding = flat(readmeSection('Embedding'));
    const bench = row('S8', 50, 'no subscriber');
    expect(embedding).toContain(
      `took ${ratio(bench.batonMedianMs / bench.baselineMedianMs!)} as long as without it (bench S8: ${ms(bench.batonMedianMs)} against ${ms(bench.baselineMedianMs!)}, median of ${results.runsEach};`,
    );
    expect(embedding).toContain(`the subscriber had seen ${bench.batonExtra!.eventsSeenAtCompletion} of its events`);
  });
});

describe('README "Performance", what the figures say', () => {
  it('the S1 job (concurrency 10) never holds more than 50 sheet actors, 40 ready and the 10 it runs', async () => {
    expect(text).toContain('the S1 job never holds more than 50 sheet actors, 40 ready and the 10 it runs');
    expect(text).toContain('at most 50 sheet actors of the S1 job are alive at once');
    expect(await fanOutPeaks(10, 1000)).toEqual({ ready: 40, live: 50 });
  });
});
