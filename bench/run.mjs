#!/usr/bin/env node
// baton benchmark runner. Run after `npm run build` (or use `npm run bench`).
//
//   node bench/run.mjs [--n 1000,10000] [--runs 5] [--scenario S1[,S2]]
//
// Every measurement is a fresh child process (`node --expose-gc bench/scenarios/X.mjs N`).
// For each scenario and N, the runs alternate baton and its baselines (the order flips on
// every round, so drift in the machine's speed hits both sides alike). The table shows
// medians; bench/results.json holds one row per (scenario, N, baseline). Rows of the
// scenarios and sizes not run this time are kept from the previous results.json.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, TARGETS } from './suite.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_FILE = new URL('./results.json', import.meta.url);
const CHILD_TIMEOUT_MS = 10 * 60 * 1000;

function parseArgs(argv) {
  const opts = { sizes: undefined, runs: 5, scenarios: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    if (flag === '--n') {
      opts.sizes = value().split(',').map((s) => Number(s.replace(/_/g, '').trim()));
      if (opts.sizes.some((n) => !Number.isInteger(n) || n < 1)) usage('--n takes positive integers, e.g. --n 1000,10000');
    } else if (flag === '--runs') {
      opts.runs = Number(value());
      if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs takes a positive integer');
    } else if (flag === '--scenario') {
      opts.scenarios = value().split(',').map((s) => s.trim().toUpperCase());
    } else if (flag === '--help' || flag === '-h') {
      usage();
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  return opts;
}

function usage(problem) {
  const ids = SCENARIOS.map((s) => s.id).join(', ');
  const text = `usage: node bench/run.mjs [--n 1000,10000] [--runs 5] [--scenario ${ids}]\n`;
  if (problem === undefined) {
    process.stdout.write(text);
    process.exit(0);
  }
  process.stderr.write(`bench: ${problem}\n${text}`);
  process.exit(2);
}

/** Runs one child; resolves with its JSON line, or `{ error }`. */
function runChild(script, n, nodeArgs = []) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, `${HERE}${script}`, String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0) {
        try {
          return resolve(JSON.parse(last));
        } catch {
          /* fall through */
        }
      }
      const why = signal !== null ? `killed by ${signal}` : `exit ${code}`;
      const detail = (stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ') || last).slice(0, 300);
      resolve({ error: `${why}${detail ? `: ${detail}` : ''}` });
    });
  });
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function summarize(samples, extra = []) {
  const ok = samples.filter((s) => s.error === undefined);
  return {
    extra: Object.fromEntries(extra.map((field) => [field, round(median(ok.map((s) => s[field])))])),
    runs: ok.length,
    errors: samples.filter((s) => s.error !== undefined).map((s) => s.error),
    ms: median(ok.map((s) => s.ms)),
    peakHeapMB: median(ok.map((s) => s.peakHeapMB)),
    maxRssMB: median(ok.map((s) => s.maxRssMB)),
    allMs: ok.map((s) => s.ms),
  };
}

const round = (x, digits = 2) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const fmt = (x, digits = 1) => (x === null ? '—' : x.toFixed(digits));
const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const chosen = SCENARIOS.filter((s) => opts.scenarios === undefined || opts.scenarios.includes(s.id));
  if (chosen.length === 0) usage(`no scenario matches ${opts.scenarios.join(', ')}`);

  log(`baton bench — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${opts.runs} runs each`);
  const rows = [];
  const started = performance.now();
  for (const scenario of chosen) {
    for (const n of opts.sizes ?? scenario.sizes) {
      const subjectName = scenario.subject ?? 'baton';
      const subjects = [{ name: subjectName, script: scenario.baton }, ...scenario.baselines];
      const samples = new Map(subjects.map((s) => [s.name, []]));
      for (let run = 0; run < opts.runs; run++) {
        const order = run % 2 === 0 ? subjects : [...subjects].reverse();
        for (const subject of order) {
          const result = await runChild(subject.script, n, scenario.nodeArgs);
          samples.get(subject.name).push(result);
          const shown = result.error ?? `${fmt(result.ms)} ms, heap ${fmt(result.peakHeapMB)} MB, rss ${fmt(result.maxRssMB)} MB`;
          log(`  ${scenario.id} n=${n} run ${run + 1}/${opts.runs} ${subject.name.padEnd(13)} ${shown}`);
        }
      }
      const baton = summarize(samples.get(subjectName), scenario.extra);
      const rowFor = (baselineName, base) => ({
        scenario: scenario.id,
        n,
        subject: subjectName,
        baseline: baselineName,
        batonMedianMs: round(baton.ms, 4),
        baselineMedianMs: base === undefined ? null : round(base.ms),
        ratio: base !== undefined && baton.ms !== null && base.ms !== null && base.ms > 0 ? round(baton.ms / base.ms, 3) : null,
        batonPeakHeapMB: round(baton.peakHeapMB),
        baselinePeakHeapMB: base === undefined ? null : round(base.peakHeapMB),
        batonMaxRssMB: round(baton.maxRssMB),
        baselineMaxRssMB: base === undefined ? null : round(base.maxRssMB),
        ...(scenario.extra !== undefined && { batonExtra: baton.extra }),
        runs: { baton: baton.runs, baseline: base === undefined ? null : base.runs },
        samplesMs: { baton: baton.allMs, baseline: base === undefined ? null : base.allMs },
        ...(baton.errors.length + (base?.errors.length ?? 0) > 0 && { errors: [...baton.errors, ...(base?.errors ?? [])] }),
      });
      if (scenario.baselines.length === 0) rows.push(rowFor(null, undefined));
      for (const baseline of scenario.baselines) rows.push(rowFor(baseline.name, summarize(samples.get(baseline.name))));
    }
  }

  printTable(rows, chosen);
  const targets = TARGETS.map((t) => ({ id: t.id, target: t.text, ...t.check(rows) }));
  printTargets(targets);
  const measured = new Set(rows.map((r) => `${r.scenario}/${r.n}`));
  const kept = (await previousRows()).filter((r) => !measured.has(`${r.scenario}/${r.n}`));
  const order = (r) => SCENARIOS.findIndex((s) => s.id === r.scenario);
  const all = [...kept, ...rows].sort((a, b) => order(a) - order(b) || a.n - b.n); // stable: baselines keep their order
  const results = {
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(os.totalmem() / 2 ** 30) },
    runsEach: opts.runs,
    // Targets as checked against this run's rows only (kept rows are older measurements).
    targets,
    rows: all,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwrote ${fileURLToPath(RESULTS_FILE)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (rows.some((r) => r.errors !== undefined)) process.exitCode = 1;
}

/** The rows of the last results.json, or none if it is missing or unreadable. */
async function previousRows() {
  try {
    const parsed = JSON.parse(await readFile(RESULTS_FILE, 'utf8'));
    const rows = Array.isArray(parsed) ? parsed : parsed?.rows;
    return Array.isArray(rows) ? rows.filter((r) => typeof r?.scenario === 'string' && Number.isInteger(r?.n)) : [];
  } catch {
    return [];
  }
}

function printTargets(targets) {
  const out = ['', 'targets (this run):'];
  for (const t of targets) {
    const mark = !t.measured ? 'not measured' : t.met ? 'met' : 'NOT MET';
    out.push(`  ${mark.padEnd(12)} ${t.target}${t.measured ? ` — ${t.value}` : ''}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function printTable(rows, scenarios) {
  const header = ['scenario', 'N', 'subject', 'subject ms', 'baseline', 'baseline ms', 'ratio', 'subject heap MB', 'baseline heap MB', 'subject RSS MB'];
  const text = new Set([0, 1, 2, 4]); // left-aligned columns
  const unitOf = (r) => scenarios.find((s) => s.id === r.scenario)?.unit;
  const body = rows.map((r) => [
    r.scenario,
    r.n.toLocaleString('en-US'),
    r.subject,
    unitOf(r) === undefined ? fmt(r.batonMedianMs) : `${fmt(r.batonExtra?.[unitOf(r).field] ?? null, 2)} ${unitOf(r).label}`,
    r.baseline ?? '—',
    fmt(r.baselineMedianMs),
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    fmt(r.batonPeakHeapMB),
    fmt(r.baselinePeakHeapMB),
    fmt(r.batonMaxRssMB),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (text.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const out = [
    '',
    ...scenarios.map((s) => `${s.id}: ${s.title}`),
    'medians over fresh processes; ratio = subject ms / baseline ms',
    '',
    line(header),
    `|${widths.map((w, i) => (text.has(i) ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`,
    ...body.map(line),
  ];
  for (const r of rows) {
    if (r.errors !== undefined) out.push(`! ${r.scenario} n=${r.n} ${r.baseline}: ${r.errors.length} failed run(s): ${r.errors[0]}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err?.stack ?? err}\n`);
  process.exit(1);
});
