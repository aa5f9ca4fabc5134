import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { durationMs } from '../score/duration.js';
import { formatPath, type ScoreProblem } from '../score/errors.js';
import { issuesToProblems } from '../score/issues.js';
import type { Distribution } from './distribution.js';
import { ProfileError } from './profile-error.js';
import { profileSchema, type BehaviourInput, type DistributionInput, type ProfileInput } from './profile-schema.js';
import { errorMessage } from '../util/error-message.js';

/** How attempts behave at one level of a profile; what is left out comes from the level above. */
export interface InstrumentBehaviour {
  /** Milliseconds from the start of an attempt to its outcome. */
  latency?: Distribution;
  /** Share of attempts that fail, 0..1. */
  failureRate?: number;
  /** Share of attempts that end rate-limited, and the wait (ms) they report. */
  rateLimit?: { rate: number; wait: Distribution };
  /** USD per attempt. */
  costUsd?: Distribution;
  /** Share of successful attempts that pass only part of their sheet's validations, 0..1. */
  partialRate?: number;
}

/** A parsed simulation profile (see docs/simulate.md). */
export interface Profile {
  /** Applies to every instrument, under what the instrument itself says. */
  default: InstrumentBehaviour;
  /** By instrument name of the score. */
  instruments: Record<string, { behaviour: InstrumentBehaviour; models: Record<string, InstrumentBehaviour> }>;
}

/** Parses and validates profile text (YAML, or JSON when `format` says so). */
export function parseProfile(text: string, options: { format?: 'yaml' | 'json' } = {}): Profile {
  const raw = options.format === 'json' ? parseJson(text) : parseYaml(text);
  return defineProfile(raw as ProfileInput);
}

/** Validates a profile written as an object in a program. */
export function defineProfile(input: ProfileInput): Profile {
  if (input === null || input === undefined) throw new ProfileError([{ path: '<profile>', message: 'the profile is empty' }]);
  const result = profileSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ProfileError(problemsOf(result.error.issues));
  const data = result.data;
  const instruments: Profile['instruments'] = {};
  for (const [name, entry] of Object.entries(data.instruments ?? {})) {
    const { models = {}, ...own } = entry;
    instruments[name] = {
      behaviour: behaviour(own),
      models: Object.fromEntries(Object.entries(models).map(([model, b]) => [model, behaviour(b)])),
    };
  }
  return { default: behaviour(data.default ?? {}), instruments };
}

/** Reads and validates a profile file: YAML, or JSON when the name ends in `.json`. */
export async function loadProfile(file: string): Promise<Profile> {
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `profile file not found: ${resolved}`
        : code === 'EISDIR'
          ? `${resolved} is a folder, not a profile file`
          : `cannot read ${resolved}: ${errorMessage(e)}`;
    throw new ProfileError([{ path: '<file>', message }]);
  }
  return parseProfile(text, { format: resolved.toLowerCase().endsWith('.json') ? 'json' : 'yaml' });
}

function behaviour(input: BehaviourInput): InstrumentBehaviour {
  const out: InstrumentBehaviour = {};
  if (input.latency !== undefined) out.latency = toDistribution(input.latency, 'duration');
  if (input.failure_rate !== undefined) out.failureRate = input.failure_rate;
  if (input.rate_limit !== undefined) {
    out.rateLimit = { rate: input.rate_limit.rate, wait: toDistribution(input.rate_limit.duration, 'duration') };
  }
  if (input.cost_usd !== undefined) out.costUsd = toDistribution(input.cost_usd, 'usd');
  if (input.partial_rate !== undefined) out.partialRate = input.partial_rate;
  return out;
}

/** A validated distribution in milliseconds (durations) or dollars. */
function toDistribution(input: DistributionInput, unit: 'duration' | 'usd'): Distribution {
  const value = (v: number | string): number => (unit === 'duration' ? durationMs(v)! : (v as number));
  if (typeof input === 'number' || typeof input === 'string') return { kind: 'fixed', value: value(input) };
  if (input.fixed !== undefined) return { kind: 'fixed', value: value(input.fixed) };
  if (input.uniform !== undefined) return { kind: 'uniform', min: value(input.uniform[0]), max: value(input.uniform[1]) };
  if (input.normal !== undefined) return { kind: 'normal', mean: value(input.normal.mean), stddev: value(input.normal.stddev) };
  const { median, p90 } = input.lognormal!;
  return { kind: 'lognormal', median: value(median), p90: value(p90) };
}

type Issue = z.core.$ZodIssue;

/**
 * Profile problems from zod issues. A value that can be a plain value or a distribution is
 * a union; when the input clearly meant one branch (it failed inside it), that branch's
 * problems are the ones worth reading.
 */
function problemsOf(issues: readonly Issue[]): ScoreProblem[] {
  const root = formatPath([]);
  return issuesToProblems(flattenUnions(issues)).map((p) => (p.path === root ? { ...p, path: '<profile>' } : p));
}

function flattenUnions(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const meant = issue.errors.find((branch) => branch.some(isInside));
      if (issue.input === undefined) {
        out.push({ ...issue, message: 'required' });
        continue;
      }
      if (meant !== undefined) {
        out.push(...flattenUnions(meant.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }))));
        continue;
      }
    }
    out.push(issue);
  }
  return out;
}

/** An issue that says the input had this branch's shape but a wrong detail. */
function isInside(issue: Issue): boolean {
  return issue.path.length > 0 || (issue.code !== 'invalid_type' && issue.code !== 'invalid_union');
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const pos = error.linePos?.[0];
    const message = error.message.split(' at line ')[0]!.split('\n')[0]!;
    throw new ProfileError([{ path: pos === undefined ? '<file>' : `line ${pos.line}, column ${pos.col}`, message }]);
  }
  return doc.toJS() as unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ProfileError([{ path: '<file>', message: `invalid JSON: ${errorMessage(e)}` }]);
  }
}
