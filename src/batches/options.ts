import { nanoid } from 'nanoid';
import type { BatchExhaustion } from '../machines/batch.js';
import type { BackoffPolicy } from '../machines/types.js';
import { realClock, type Clock } from '../runtime/clock.js';
import type { Inspector } from '../actors/inspector.js';
import { scoreExecutor, type ResolvedExecutor } from './score-executor.js';
import { resolveStrategy } from './strategies/resolve.js';
import type { BatchStrategy } from './strategies/strategy.js';
import type {
  BatchErrorPolicy,
  BatchExecutor,
  BatchFinalPolicy,
  BatchOptions,
  BatchOrdering,
  BatchRouteHandler,
} from './types.js';
import { durationOption, positiveInteger } from './validate.js';

/** Everything a run needs, checked and with defaults filled in. */
export interface BatchRunConfig<T, R> {
  runId: string;
  strategy: BatchStrategy<T>;
  maxInFlight: number;
  ordering: BatchOrdering;
  execute: BatchExecutor<T, R>;
  timeoutMs: number | undefined;
  maxAttempts: number;
  backoff: BackoffPolicy;
  exhausted: BatchExhaustion;
  route: BatchRouteHandler<T> | undefined;
  signal: AbortSignal | undefined;
  clock: Clock;
  random: () => number;
  inspect: Inspector | undefined;
}

const DEFAULT_MAX_IN_FLIGHT = 4;
const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0 };

/** Checks the options of `dispatchBatches` / `streamBatches`; a bad one throws a one-line `TypeError` naming it. */
export function resolveBatchOptions<T, R>(options: BatchOptions<T, R>): BatchRunConfig<T, R> {
  if (typeof options !== 'object' || options === null) throw new TypeError('batches: options must be an object');
  const runId = options.runId ?? nanoid(10);
  if (typeof runId !== 'string' || runId === '') throw new TypeError('batches: runId must be a non-empty string');
  const ordering = options.ordering ?? 'preserve';
  if (ordering !== 'preserve' && ordering !== 'as-completed') {
    throw new TypeError(`batches: ordering must be 'preserve' or 'as-completed', got ${JSON.stringify(ordering)}`);
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('batches: signal must be an AbortSignal');
  const executor = resolveExecutor(options.executor, runId);
  const timeoutMs = options.timeout !== undefined ? durationOption(options.timeout, 'timeout') : executor.timeoutMs;
  return {
    runId,
    strategy: resolveStrategy(options.strategy),
    maxInFlight: positiveInteger(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 'maxInFlight'),
    ordering,
    execute: executor.execute,
    timeoutMs,
    ...errorPolicy(options.onError ?? 'halt'),
    signal,
    clock: options.clock ?? realClock,
    random: options.random ?? Math.random,
    inspect: options.inspect,
  };
}

function resolveExecutor<T, R>(executor: BatchOptions<T, R>['executor'], runId: string): ResolvedExecutor<T, R> {
  if (typeof executor === 'function') return { execute: executor };
  if (typeof executor === 'object' && executor !== null && 'score' in executor && 'instrument' in executor) {
    return scoreExecutor(executor, runId) as ResolvedExecutor<T, R>;
  }
  throw new TypeError('batches: executor must be a function (items, context) => results, or { score, instrument }');
}

type ErrorPolicy<T> = Pick<BatchRunConfig<T, unknown>, 'maxAttempts' | 'backoff' | 'exhausted' | 'route'>;

function errorPolicy<T>(policy: BatchErrorPolicy<T>): ErrorPolicy<T> {
  if (typeof policy === 'object' && policy !== null && 'retry' in policy) {
    const retry = policy.retry;
    if (typeof retry !== 'object' || retry === null) throw new TypeError('batches: onError.retry must be { attempts, backoff?, then? }');
    return {
      maxAttempts: positiveInteger(retry.attempts, 'onError.retry.attempts'),
      backoff: backoffPolicy({ ...DEFAULT_RETRY_BACKOFF, ...retry.backoff }),
      ...finalPolicy(retry.then ?? 'halt', 'onError.retry.then'),
    };
  }
  return { maxAttempts: 1, backoff: DEFAULT_RETRY_BACKOFF, ...finalPolicy(policy, 'onError') };
}

function finalPolicy<T>(policy: BatchFinalPolicy<T>, name: string): Pick<ErrorPolicy<T>, 'exhausted' | 'route'> {
  if (policy === 'halt' || policy === 'skip') return { exhausted: policy, route: undefined };
  if (typeof policy === 'object' && policy !== null && 'route' in policy) {
    if (typeof policy.route !== 'function') throw new TypeError(`batches: ${name}.route must be a function`);
    return { exhausted: 'route', route: policy.route };
  }
  throw new TypeError(`batches: ${name} must be 'halt', 'skip', { route } or { retry }, got ${JSON.stringify(policy)}`);
}

function backoffPolicy(policy: BackoffPolicy): BackoffPolicy {
  const check = (value: number, name: string, ok: (v: number) => boolean, expected: string): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
      throw new TypeError(`batches: onError.retry.backoff.${name} must be ${expected}, got ${String(value)}`);
    }
  };
  check(policy.initialMs, 'initialMs', (v) => v >= 0, 'a number >= 0');
  check(policy.factor, 'factor', (v) => v >= 1, 'a number >= 1');
  check(policy.maxMs, 'maxMs', (v) => v >= 0, 'a number >= 0');
  check(policy.jitter, 'jitter', (v) => v >= 0 && v <= 1, 'between 0 and 1');
  return policy;
}
