/**
 * The crash harness: a real `baton run` of 300 short command sheets is SIGKILLed at a
 * random moment, then `baton resume` (itself sometimes SIGKILLed) is started until it
 * exits 0. Every sheet appends `<id> <pid>` to a log as its first act, so the log counts
 * how many times each sheet really ran.
 *
 * What each trial shows:
 *  (a) every sheet ends completed;
 *  (b) a sheet the checkpoint recorded `completed` before a kill never runs again: it has
 *      exactly as many log lines at the end as it had at that kill;
 *  (c) a sheet that ran more than once was dispatched or running in the checkpoint at a
 *      kill, once per extra run, and no kill leaves more than `concurrency` such sheets.
 * A SIGKILLed baton's attempts run on in their own process groups for a moment; a line
 * such an orphan appends after the kill belongs to a sheet that was in flight, which (c)
 * allows and (b) never sees, since (b) reads the completed set from the checkpoint.
 *
 * BATON_CRASH_TRIALS sets the number of trials (default 10), BATON_CRASH_SEED the first
 * trial's seed (default: from the time); each trial's name carries its seed, and a trial
 * replays its kill delays from it (the moments still depend on the machine's speed).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaton, type Exit } from '../cli/run-cli.js';
import { prng } from '../support/random.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { killAfter, killLeftovers, readLines, statusJson, type StatusDocument } from './baton-process.js';

const TRIALS = Number(process.env.BATON_CRASH_TRIALS ?? 10);
const FIRST_SEED = Number(process.env.BATON_CRASH_SEED ?? Date.now() % 1_000_000);
const SHEETS = 300;
const CONCURRENCY = 8;
/** At most this many resumes of one trial are killed; the next one runs to its end. */
const MAX_KILLED_RESUMES = 2;
const IN_FLIGHT = new Set(['dispatched', 'running']);

function scoreText(log: string): string {
  return `version: 1
name: crash-harness
workspace: ws
concurrency: ${CONCURRENCY}
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - id: w
    fan_out: ${SHEETS}
    instrument: sh
    args: ["echo \\"{{sheet.id}} $$\\" >> ${log}; sleep 0.0$((RANDOM % 3 + 1))"]
`;
}

/** What the checkpoint and the log held right after one kill. */
interface Kill {
  command: string;
  delayMs: number;
  /** Sheets recorded completed in the checkpoint. */
  completed: Set<string>;
  /** Sheets recorded dispatched or running: their musicians died with the process. */
  inFlight: Set<string>;
  /** Log lines per sheet, read after the checkpoint. */
  lines: Map<string, number>;
}

function countLines(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readLines(log)) {
    const id = line.split(' ')[0]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function trial(seed: number): Promise<void> {
  const random = prng(seed);
  const delay = (): number => 150 + Math.floor(random() * 1350);
  const dir = makeTempDir('baton-crash-');
  const log = join(dir, 'log');
  const score = join(dir, 'score.yaml');
  writeFileSync(score, scoreText(log));
  // The first process is always killed; then up to MAX_KILLED_RESUMES more.
  let killsLeft = 1 + Math.floor(random() * (MAX_KILLED_RESUMES + 1));
  const kills: Kill[] = [];
  const history: string[] = [];

  try {
    let command: 'run' | 'resume' = 'run';
    for (;;) {
      const killThis = killsLeft-- > 0;
      const delayMs = killThis ? delay() : 0;
      const proc = startBaton([command, score, '--quiet'], { cwd: dir });
      const exit: Exit = killThis ? await killAfter(proc, delayMs) : await proc.exited;
      history.push(`${command}${killThis ? ` kill@${delayMs}ms` : ''} → ${exit.signal ?? exit.code}`);

      if (exit.signal !== 'SIGKILL') {
        expect(exit.stderr, history.join('; ')).toBe('');
        expect(exit.code, history.join('; ')).toBe(0);
        break;
      }

      const { exit: statusExit, status } = await statusJson(score, { cwd: dir });
      if (status === undefined) {
        // Killed before the job was registered: nothing may have run, and `run` starts it.
        expect(statusExit.code).toBe(2);
        expect(statusExit.stderr).toContain(join(dir, 'ws', 'baton.db'));
        expect(readLines(log)).toEqual([]);
        command = 'run';
        continue;
      }
      // The lock's holder died with the process.
      expect(status.running).toBeNull();
      const completed = new Set(status.sheets.filter((s) => s.state === 'completed').map((s) => s.id));
      const inFlight = new Set(status.sheets.filter((s) => IN_FLIGHT.has(s.state)).map((s) => s.id));
      kills.push({ command, delayMs, completed, inFlight, lines: countLines(log) });
      history[history.length - 1] += ` (completed ${completed.size}, in flight ${inFlight.size})`;
      command = 'resume';
    }

    const { status } = await statusJson(score, { cwd: dir });
    const final = status as StatusDocument;
    const lines = countLines(log);
    const context = `seed ${seed}: ${history.join('; ')}`;
    if (process.env.BATON_CRASH_VERBOSE) process.stderr.write(`${context}\n`);

    // (a) every sheet completed
    expect(final.outcome, context).toBe('completed');
    expect(final.running, context).toBeNull();
    expect(final.sheets, context).toHaveLength(SHEETS);
    expect(final.sheets.filter((s) => s.state !== 'completed'), context).toEqual([]);
    for (const sheet of final.sheets) {
      const runs = lines.get(sheet.id) ?? 0;
      expect(runs, `${sheet.id} never ran; ${context}`).toBeGreaterThanOrEqual(1);
      // Every run was a dispatch recorded before its process started: an attempt, or one a kill interrupted.
      const dispatches = sheet.attempts + sheet.interrupted;
      expect(dispatches, `${sheet.id} ran ${runs} times with ${dispatches} recorded dispatches; ${context}`).toBeGreaterThanOrEqual(runs);
    }

    // (b) nothing recorded completed before a kill ran again
    for (const [k, kill] of kills.entries()) {
      for (const id of kill.completed) {
        const before = kill.lines.get(id) ?? 0;
        expect(before, `${id} completed at kill ${k + 1} with no log line; ${context}`).toBeGreaterThanOrEqual(1);
        expect(lines.get(id), `${id} was completed at kill ${k + 1} and ran again; ${context}`).toBe(before);
      }
    }

    // (c) extra runs only of sheets in flight at a kill, at most `concurrency` per kill
    for (const [k, kill] of kills.entries()) {
      expect(kill.inFlight.size, `kill ${k + 1} left more in flight than the cap; ${context}`).toBeLessThanOrEqual(CONCURRENCY);
    }
    for (const [id, runs] of lines) {
      if (runs === 1) continue;
      const inFlightAt = kills.filter((kill) => kill.inFlight.has(id)).length;
      expect(runs - 1, `${id} ran ${runs} times but was in flight at ${inFlightAt} kills; ${context}`).toBeLessThanOrEqual(inFlightAt);
    }
  } finally {
    killLeftovers(log);
    removeDir(dir);
  }
}

describe('crash harness: kill -9 at random moments, then resume until done', () => {
  const seeds = Array.from({ length: TRIALS }, (_, i) => FIRST_SEED + i);
  let started = 0;
  beforeAll(() => {
    started = Date.now();
  });
  afterAll(() => {
    process.stderr.write(`crash harness: ${TRIALS} trials from seed ${FIRST_SEED} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  });

  it.each(seeds)(
    'trial with seed %i: every sheet completes, nothing completed runs again, only in-flight sheets run twice',
    async (seed) => {
      await trial(seed);
    },
    90_000,
  );
});
