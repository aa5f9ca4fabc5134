import { formatPath, type ScoreProblem } from '../score/errors.js';
import type { Score } from '../score/types.js';
import type { Distribution } from './distribution.js';
import type { InstrumentBehaviour, Profile } from './profile.js';
import { ProfileError } from './profile-error.js';

/** How the attempts of one instrument (or one model of it) behave, every field settled. */
export interface SimulatedBehaviour {
  latency: Distribution;
  failureRate: number;
  rateLimit: { rate: number; wait: Distribution } | undefined;
  costUsd: Distribution;
  partialRate: number;
}

const NOTHING: Required<Pick<InstrumentBehaviour, 'failureRate' | 'costUsd' | 'partialRate'>> = {
  failureRate: 0,
  costUsd: { kind: 'fixed', value: 0 },
  partialRate: 0,
};

/**
 * The behaviour of every instrument of a score, and of every model it runs with, under a
 * profile: model over instrument over `default`. Checked against the score as a whole: a
 * profile that names an instrument or model the score does not have is rejected, and so is
 * an instrument left without a latency.
 */
export class Behaviours {
  private readonly byKey = new Map<string, SimulatedBehaviour>();

  constructor(profile: Profile, score: Score) {
    const problems: ScoreProblem[] = [];
    const names = Object.keys(score.instruments);
    for (const name of Object.keys(profile.instruments)) {
      if (!Object.hasOwn(score.instruments, name)) {
        problems.push({
          path: formatPath(['instruments', name]),
          message: `the score has no instrument "${name}" (its instruments: ${names.join(', ')})`,
        });
      }
    }
    for (const name of names) {
      const entry = profile.instruments[name];
      const own = entry?.behaviour ?? {};
      const here = entry === undefined ? ['default'] : ['instruments', name];
      const base = { ...NOTHING, ...profile.default, ...own };
      if (base.latency === undefined) {
        problems.push({
          path: formatPath([...here, 'latency']),
          message: `no latency for instrument "${name}": give default.latency or instruments.${formatPath([name])}.latency`,
        });
        continue;
      }
      const settled = settle(base, base.latency, here, problems);
      this.byKey.set(key(name, undefined), settled);
      const models = modelsOf(score, name);
      for (const [model, behaviour] of Object.entries(entry?.models ?? {})) {
        if (!models.has(model)) {
          const known = models.size === 0 ? 'it has none' : `its models: ${[...models].join(', ')}`;
          problems.push({
            path: formatPath(['instruments', name, 'models', model]),
            message: `instrument "${name}" of the score has no model "${model}" (${known})`,
          });
          continue;
        }
        const merged = { ...base, ...behaviour };
        this.byKey.set(key(name, model), settle(merged, merged.latency ?? base.latency, [...here, 'models', model], problems));
      }
    }
    if (problems.length > 0) throw new ProfileError(problems);
  }

  /** The behaviour of an instrument running a model (a model without overrides behaves as its instrument). */
  of(instrument: string, model: string | undefined): SimulatedBehaviour {
    const found = (model !== undefined ? this.byKey.get(key(instrument, model)) : undefined) ?? this.byKey.get(key(instrument, undefined));
    if (found === undefined) throw new Error(`no simulated behaviour for instrument "${instrument}"`);
    return found;
  }
}

function settle(
  b: InstrumentBehaviour & typeof NOTHING,
  latency: Distribution,
  at: readonly string[],
  problems: ScoreProblem[],
): SimulatedBehaviour {
  const limited = b.rateLimit?.rate ?? 0;
  if (b.failureRate + limited > 1) {
    problems.push({
      path: formatPath(at),
      message: `failure_rate ${b.failureRate} and rate_limit.rate ${limited} add up to more than 1`,
    });
  }
  return { latency, failureRate: b.failureRate, rateLimit: b.rateLimit, costUsd: b.costUsd, partialRate: b.partialRate };
}

/** Models an instrument runs with: those it declares and those its sheets name. */
function modelsOf(score: Score, instrument: string): Set<string> {
  const models = new Set(Object.keys(score.instruments[instrument]?.models ?? {}));
  for (const stage of score.stages) if (stage.instrument === instrument && stage.model !== undefined) models.add(stage.model);
  return models;
}

function key(instrument: string, model: string | undefined): string {
  return model === undefined ? instrument : `${instrument}\u0000${model}`;
}
