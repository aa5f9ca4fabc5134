import type {
  BackoffPolicy,
  DependencyFailurePolicy,
  InstrumentSpec,
  Score,
  StageSpec,
  ValidationSpec,
} from '../../src/index.js';
import type { CircuitBreakerSpec, RateLimitSpec } from '../../src/score/types.js';

export interface StageDraft {
  id: string;
  fanOut?: number;
  /** Ids of stages (all members) or of members (`x.2`). */
  deps?: string[];
  instrument?: string;
  model?: string;
  retries?: number;
  backoff?: Partial<BackoffPolicy>;
  timeoutMs?: number;
  onDependencyFailure?: DependencyFailurePolicy;
  escalate?: boolean;
  heal?: boolean;
  /** Compiled validations (rarely useful with function instruments, which have no files). */
  validations?: ValidationSpec[];
  completionAttempts?: number;
  /** Per-sheet cost cap. */
  budgetUsd?: number;
}

export interface InstrumentDraft {
  concurrency?: number;
  models?: Record<string, { concurrency?: number }>;
  fallback?: string[];
  timeoutMs?: number;
  /** Fields left out take SCORE.md's defaults (stderr, 60 s, 1 h, scope instrument). */
  rateLimit?: Partial<RateLimitSpec>;
  costPattern?: RegExp;
  circuitBreaker?: CircuitBreakerSpec;
  sharedAs?: string;
  sharedConcurrency?: number;
}

export interface ScoreDraft {
  name?: string;
  concurrency?: number;
  pacingMs?: number;
  budgetUsd?: number;
  workspace?: string;
  instruments?: Record<string, InstrumentDraft>;
  stages: StageDraft[];
}

/** Builds a compiled Score directly, bypassing the YAML loader: for runtime tests. */
export function buildScore(draft: ScoreDraft): Score {
  const instrumentDrafts = draft.instruments ?? { fn: {} };
  const instruments: Record<string, InstrumentSpec> = {};
  for (const [name, d] of Object.entries(instrumentDrafts)) {
    instruments[name] = {
      kind: 'function',
      name,
      export: 'default',
      models: d.models ?? {},
      fallback: d.fallback ?? [],
      ...(d.concurrency !== undefined ? { concurrency: d.concurrency } : {}),
      ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
      ...(d.rateLimit !== undefined
        ? {
            rateLimit: {
              patterns: [],
              streams: ['stderr' as const],
              defaultWaitMs: 60_000,
              maxWaitMs: 3_600_000,
              scope: 'instrument' as const,
              ...d.rateLimit,
            },
          }
        : {}),
      ...(d.costPattern !== undefined ? { costPattern: d.costPattern } : {}),
      ...(d.circuitBreaker !== undefined ? { circuitBreaker: d.circuitBreaker } : {}),
      ...(d.sharedAs !== undefined ? { sharedAs: d.sharedAs } : {}),
      ...(d.sharedConcurrency !== undefined ? { sharedConcurrency: d.sharedConcurrency } : {}),
    };
  }
  const defaultInstrument = Object.keys(instruments)[0]!;
  const index = new Map(draft.stages.map((s, i) => [s.id, i]));
  const stages: StageSpec[] = draft.stages.map((s, i) => ({
    id: s.id,
    index: i,
    ...(s.fanOut !== undefined ? { fanOut: s.fanOut } : {}),
    instrument: s.instrument ?? defaultInstrument,
    ...(s.model !== undefined ? { model: s.model } : {}),
    args: [],
    validations: s.validations ?? [],
    retries: s.retries ?? 0,
    backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0, ...s.backoff },
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    onDependencyFailure: s.onDependencyFailure ?? 'skip',
    escalate: s.escalate ?? false,
    heal: s.heal ?? false,
    completionAttempts: s.completionAttempts ?? 5,
    ...(s.budgetUsd !== undefined ? { budgetUsd: s.budgetUsd } : {}),
    vars: {},
    dependsOn: (s.deps ?? []).map((dep) => {
      const whole = index.get(dep);
      if (whole !== undefined) return { stage: whole };
      const dot = dep.lastIndexOf('.');
      const stage = index.get(dep.slice(0, dot));
      if (stage === undefined) throw new Error(`unknown dependency ${dep}`);
      return { stage, member: Number(dep.slice(dot + 1)) };
    }),
  }));
  return {
    version: 1,
    name: draft.name ?? 'test',
    workspace: draft.workspace ?? '/tmp/baton-test-workspace',
    concurrency: draft.concurrency ?? 10,
    pacingMs: draft.pacingMs ?? 0,
    ...(draft.budgetUsd !== undefined ? { budgetUsd: draft.budgetUsd } : {}),
    sequential: false,
    instruments,
    stages,
    sheetCount: stages.reduce((n, s) => n + (s.fanOut ?? 1), 0),
  };
}
