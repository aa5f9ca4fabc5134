import * as path from 'node:path';
import { parseDuration } from './duration.js';
import { formatPath, type ScoreProblem } from './errors.js';
import type { InstrumentData, ScoreData } from './schema.js';
import { RATE_LIMIT_DEFAULTS } from './rate-limit-defaults.js';
import type { InstrumentSpec, RateLimitSpec, StructuredOutputSpec } from './types.js';

const DEFAULT_BREAKER_FAILURES = 5;
const DEFAULT_BREAKER_COOLDOWN = '30s';
const DEFAULT_BUFFER_WORKERS = 1;

/** Compiles `instruments:` and checks each `fallback` names another defined instrument. */
export function compileInstruments(
  data: ScoreData['instruments'],
  baseDir: string,
  problems: ScoreProblem[],
): Record<string, InstrumentSpec> {
  const out: Record<string, InstrumentSpec> = {};
  for (const [name, instrument] of Object.entries(data)) {
    out[name] = compileInstrument(name, instrument, baseDir);
  }
  for (const [name, spec] of Object.entries(out)) {
    costGivenTwice(name, spec, problems);
    spec.fallback.forEach((other, i) => {
      const at = formatPath(['instruments', name, 'fallback', i]);
      if (other === name) problems.push({ path: at, message: `an instrument cannot fall back to itself` });
      else if (!(other in out)) problems.push({ path: at, message: unknownInstrument(other, out) });
    });
  }
  return out;
}

/** `unknown instrument "x" (defined: a, b)`. */
export function unknownInstrument(name: string, instruments: Record<string, unknown>): string {
  const names = Object.keys(instruments);
  const defined = names.length === 0 ? 'the score defines no instruments' : `defined: ${names.join(', ')}`;
  return `unknown instrument "${name}" (${defined})`;
}

function compileInstrument(name: string, data: InstrumentData, baseDir: string): InstrumentSpec {
  const at = formatPath(['instruments', name]);
  const models: Record<string, { concurrency?: number }> = {};
  for (const [model, caps] of Object.entries(data.models ?? {})) {
    models[model] = caps?.concurrency === undefined ? {} : { concurrency: caps.concurrency };
  }
  const common = {
    name,
    models,
    fallback: [...(data.fallback ?? [])],
    ...(data.concurrency !== undefined && { concurrency: data.concurrency }),
    ...(data.timeout !== undefined && { timeoutMs: parseDuration(data.timeout, `${at}.timeout`) }),
    ...(data.rate_limit !== undefined && { rateLimit: compileRateLimit(data.rate_limit, `${at}.rate_limit`) }),
    ...(data.cost_pattern !== undefined && { costPattern: new RegExp(data.cost_pattern) }),
    ...(data.circuit_breaker !== undefined && {
      circuitBreaker: {
        failures: data.circuit_breaker.failures ?? DEFAULT_BREAKER_FAILURES,
        cooldownMs: parseDuration(data.circuit_breaker.cooldown ?? DEFAULT_BREAKER_COOLDOWN, `${at}.circuit_breaker.cooldown`),
      },
    }),
    ...(data.shared_as !== undefined && { sharedAs: data.shared_as }),
    ...(data.shared_concurrency !== undefined && { sharedConcurrency: data.shared_concurrency }),
    ...(data.buffer !== undefined && { buffer: { size: data.buffer.size, workers: data.buffer.workers ?? DEFAULT_BUFFER_WORKERS } }),
  };
  if (data.kind === 'command') {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.env ?? {})) env[key] = String(value);
    return {
      ...common,
      kind: 'command',
      command: data.command.map(String),
      env,
      promptVia: data.prompt_via ?? 'stdin',
      ...(data.output !== undefined && { output: compileOutput(data.output) }),
    };
  }
  return {
    ...common,
    kind: 'function',
    export: data.export ?? 'default',
    ...(data.module !== undefined && { module: path.resolve(baseDir, data.module) }),
    ...(data.run !== undefined && { fn: data.run }),
  };
}

function compileOutput(data: NonNullable<Extract<InstrumentData, { kind: 'command' }>['output']>): StructuredOutputSpec {
  return {
    format: data.format ?? 'json',
    ...(data.cost !== undefined && { cost: data.cost }),
    ...(data.failed !== undefined && { failed: data.failed }),
    ...(data.message !== undefined && { message: data.message }),
    ...(data.retry_after !== undefined && { retryAfter: data.retry_after }),
  };
}

/** Two sources of one cost would be summed or one silently ignored: the score says which. */
function costGivenTwice(name: string, spec: InstrumentSpec, problems: ScoreProblem[]): void {
  if (spec.kind !== 'command' || spec.output?.cost === undefined || spec.costPattern === undefined) return;
  problems.push({
    path: formatPath(['instruments', name, 'output', 'cost']),
    message: `give the cost one way: ${formatPath(['instruments', name, 'cost_pattern'])} is set too; remove one of them`,
  });
}

function compileRateLimit(data: NonNullable<InstrumentData['rate_limit']>, at: string): RateLimitSpec {
  return {
    patterns: data.patterns.map((p) => new RegExp(p, 'i')),
    streams: [...new Set<'stdout' | 'stderr'>(data.streams ?? ['stderr'])],
    ...(data.retry_after !== undefined && { retryAfter: new RegExp(data.retry_after, 'i') }),
    defaultWaitMs: optionalDuration(data.default_wait, `${at}.default_wait`) ?? RATE_LIMIT_DEFAULTS.defaultWaitMs,
    minWaitMs: optionalDuration(data.min_wait, `${at}.min_wait`) ?? RATE_LIMIT_DEFAULTS.minWaitMs,
    maxWaitMs: optionalDuration(data.max_wait, `${at}.max_wait`) ?? RATE_LIMIT_DEFAULTS.maxWaitMs,
    maxLimitedRuns: data.max_limited_runs ?? RATE_LIMIT_DEFAULTS.maxLimitedRuns,
    scope: data.scope ?? 'instrument',
  };
}

function optionalDuration(value: number | string | undefined, at: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, at);
}
