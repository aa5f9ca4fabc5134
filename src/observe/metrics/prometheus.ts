import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EndedAttempt, GaugeSource, MetricsRecorder } from './recorder.js';

export interface PrometheusRecorderOptions {
  /**
   * The registry to register baton's metrics on.
   * @default a new private registry, never prom-client's global one
   */
  registry?: Registry;
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event loop, GC) on the
   * same registry, under their usual unprefixed names.
   * @default false
   */
  processMetrics?: boolean;
}

/** Starting a musician: a function call takes microseconds, a subprocess milliseconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Attempts run from well under a second (a shell step) to an hour (an agent session). */
const ATTEMPT_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

const BREAKER_STATES = { closed: 'closed', open: 'open', halfOpen: 'half_open' } as const;

/**
 * A `MetricsRecorder` on a prom-client registry. Counters and histograms are recorded as
 * events arrive; gauges of sheets, rate limits and breakers are read from the gauge
 * sources when the registry is collected, so a scrape sees the state as it is.
 */
export class PrometheusRecorder implements MetricsRecorder {
  readonly registry: Registry;
  private readonly sources = new Set<GaugeSource>();
  private readonly queueDepth: Gauge<'instrument'>;
  private readonly starting: Gauge<'instrument'>;
  private readonly atCapacityTotal: Counter<'instrument'>;
  private readonly startErrors: Counter<'instrument' | 'permanent'>;
  private readonly latency: Histogram<'instrument'>;
  private readonly attempts: Counter<'job' | 'instrument' | 'model' | 'outcome' | 'reason'>;
  private readonly attemptDuration: Histogram<'instrument' | 'model' | 'outcome'>;
  private readonly cost: Counter<'job' | 'instrument' | 'model'>;

  constructor(options: PrometheusRecorderOptions = {}) {
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    const registers = [registry];
    if (options.processMetrics === true) collectDefaultMetrics({ register: registry });

    this.queueDepth = new Gauge({
      name: 'baton_dispatch_queue_depth',
      help: 'Starts waiting in an instrument’s dispatch buffer for a worker.',
      labelNames: ['instrument'],
      registers,
    });
    this.starting = new Gauge({
      name: 'baton_dispatch_starting',
      help: 'Starts of musicians under way in an instrument’s dispatch buffer.',
      labelNames: ['instrument'],
      registers,
    });
    this.atCapacityTotal = new Counter({
      name: 'baton_dispatch_at_capacity_total',
      help: 'Sheets that found their instrument’s dispatch buffer full and stayed ready.',
      labelNames: ['instrument'],
      registers,
    });
    this.startErrors = new Counter({
      name: 'baton_dispatch_start_errors_total',
      help: 'Failures to start a musician; permanent="true" ones are not retried.',
      labelNames: ['instrument', 'permanent'],
      registers,
    });
    this.latency = new Histogram({
      name: 'baton_dispatch_latency_seconds',
      help: 'Time from the dispatch decision to the musician’s start.',
      labelNames: ['instrument'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'baton_attempts_total',
      help: 'Attempts ended, by what they counted as (success, partial, failure, rate_limited, cancelled, interrupted).',
      labelNames: ['job', 'instrument', 'model', 'outcome', 'reason'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'baton_attempt_duration_seconds',
      help: 'Time from the dispatch decision to the end of the attempt.',
      labelNames: ['instrument', 'model', 'outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.cost = new Counter({
      name: 'baton_cost_usd_total',
      help: 'What attempts cost, in US dollars, as their output or function reported it.',
      labelNames: ['job', 'instrument', 'model'],
      registers,
    });

    const sources = this.sources;
    new Gauge({
      name: 'baton_sheets',
      help: 'Sheets in each state, per job name.',
      labelNames: ['job', 'state'],
      registers,
      collect(this: Gauge<'job' | 'state'>) {
        this.reset();
        for (const source of sources) {
          for (const { job, state, count } of source.sheetCounts()) this.inc({ job, state }, count);
        }
      },
    });
    new Gauge({
      name: 'baton_rate_limits_active',
      help: 'Rate limits in force, per instrument and model (model="" for the whole instrument).',
      labelNames: ['instrument', 'model'],
      registers,
      collect(this: Gauge<'instrument' | 'model'>) {
        this.reset();
        for (const source of sources) {
          for (const limit of source.rateLimits()) this.inc({ instrument: limit.instrument, model: limit.model ?? '' }, 1);
        }
      },
    });
    new Gauge({
      name: 'baton_rate_limit_remaining_seconds',
      help: 'Time left before a rate limit in force ends.',
      labelNames: ['instrument', 'model'],
      registers,
      collect(this: Gauge<'instrument' | 'model'>) {
        this.reset();
        for (const source of sources) {
          for (const limit of source.rateLimits()) {
            this.set({ instrument: limit.instrument, model: limit.model ?? '' }, limit.remainingMs / 1000);
          }
        }
      },
    });
    new Gauge({
      name: 'baton_circuit_breaker_state',
      help: 'Circuit breaker of each instrument: 1 for the state it is in (closed, open, half_open), 0 for the others.',
      labelNames: ['instrument', 'state'],
      registers,
      collect(this: Gauge<'instrument' | 'state'>) {
        this.reset();
        for (const source of sources) {
          for (const { instrument, state } of source.breakers()) {
            for (const [key, label] of Object.entries(BREAKER_STATES)) {
              this.set({ instrument, state: label }, key === state ? 1 : 0);
            }
          }
        }
      },
    });
    new Gauge({
      name: 'baton_coordination_online',
      help: 'With --coordinate: 1 while the coordination backend (label target) answers, 0 while this conductor goes on with its own state.',
      labelNames: ['target'],
      registers,
      collect(this: Gauge<'target'>) {
        this.reset();
        for (const source of sources) {
          const coordination = source.coordination?.();
          if (coordination !== undefined) this.set({ target: coordination.target }, coordination.online ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'baton_shared_cap_running',
      help: 'Attempts of a shared_as identity running on every conductor of the coordination backend, at the latest read (scope=all), and in this process (scope=here).',
      labelNames: ['identity', 'scope'],
      registers,
      collect(this: Gauge<'identity' | 'scope'>) {
        this.reset();
        for (const source of sources) {
          for (const cap of source.sharedCaps?.() ?? []) {
            this.inc({ identity: cap.identity, scope: 'all' }, cap.running);
            this.inc({ identity: cap.identity, scope: 'here' }, cap.here);
          }
        }
      },
    });
    new Gauge({
      name: 'baton_shared_cap_limit',
      help: 'The shared_concurrency of a shared_as identity.',
      labelNames: ['identity'],
      registers,
      collect(this: Gauge<'identity'>) {
        this.reset();
        for (const source of sources) for (const cap of source.sharedCaps?.() ?? []) this.set({ identity: cap.identity }, cap.limit);
      },
    });
  }

  /** The registry in Prometheus text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type to serve `metrics()` with. */
  get contentType(): string {
    return this.registry.contentType;
  }

  bufferDepth(instrument: string, queued: number, starting: number): void {
    this.queueDepth.set({ instrument }, queued);
    this.starting.set({ instrument }, starting);
  }

  atCapacity(instrument: string): void {
    this.atCapacityTotal.inc({ instrument });
  }

  startError(instrument: string, permanent: boolean): void {
    this.startErrors.inc({ instrument, permanent: String(permanent) });
  }

  dispatchLatency(instrument: string, seconds: number): void {
    this.latency.observe({ instrument }, seconds);
  }

  attemptEnded(attempt: EndedAttempt): void {
    const { job, instrument, outcome } = attempt;
    const model = attempt.model ?? '';
    this.attempts.inc({ job, instrument, model, outcome, reason: attempt.reason ?? '' });
    this.attemptDuration.observe({ instrument, model, outcome }, attempt.durationSeconds);
    // A zero cost still creates the series, so `rate()` has a baseline from the first attempt.
    this.cost.inc({ job, instrument, model }, attempt.costUsd);
  }

  addGaugeSource(source: GaugeSource): () => void {
    this.sources.add(source);
    return () => void this.sources.delete(source);
  }
}
