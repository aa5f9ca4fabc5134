import { describe, expect, it } from 'vitest';
import { SHEET_STATES, type SheetEvent } from '../../src/index.js';
import {
  createConductorSheetDriver,
  createSheetTestModel,
  SheetModelMismatchError,
  sheetTransitions,
  transitionKey,
  transitionsOf,
  type SheetModelSettings,
  type SheetTestModel,
  type SheetTransition,
} from '../../src/testing/index.js';

/**
 * Paths generated from the sheet machine drive the real conductor: after every step the
 * sheet's status and its live actor must be where the model is. Two settings together reach
 * every transition: one with every option on, one where exhaustion fails outright.
 */
const SHORTEST: Record<string, SheetModelSettings> = {
  'every option': { retries: 1, fallbacks: 1, heal: true, escalate: true, validations: true, budget: true, timeoutMs: 5000 },
  'no second chances': { retries: 0, validations: true, onDependencyFailure: 'fail' },
  'one rate limit fails it': { retries: 0, maxLimitedRuns: 1 },
};
/** Simple paths multiply fast; a small model keeps them bounded (about 50). */
const SIMPLE: SheetModelSettings = { retries: 1, escalate: true };

/**
 * Transitions of the definition no runtime can take, and why. The list must stay exact: a
 * transition that becomes reachable, or a new unreachable one, fails the coverage test.
 */
const IMPOSSIBLE: Record<string, string> = {
  'dispatched --SUCCEEDED[unavailableWithFallback]--> ready':
    'SUCCEEDED shares the after-failure list, whose first guard only accepts a FAILED event',
  'running --SUCCEEDED[unavailableWithFallback]--> ready':
    'SUCCEEDED shares the after-failure list, whose first guard only accepts a FAILED event',
};

interface Plan {
  model: SheetTestModel;
  path: ReturnType<SheetTestModel['model']['getShortestPaths']>[number];
}

function plans(): Array<[string, Plan]> {
  const all: Array<[string, Plan]> = [];
  for (const [name, settings] of Object.entries(SHORTEST)) {
    const model = createSheetTestModel(settings);
    for (const path of model.model.getShortestPaths()) all.push([`${name}, shortest: ${describePath(path.steps)}`, { model, path }]);
  }
  const simple = createSheetTestModel(SIMPLE);
  for (const path of simple.model.getSimplePaths()) all.push([`simple: ${describePath(path.steps)}`, { model: simple, path }]);
  return all;
}

function describePath(steps: ReadonlyArray<{ event: SheetEvent | { type: string } }>): string {
  return steps
    .slice(1)
    .map(({ event }) => {
      const e = event as SheetEvent;
      if (e.type === 'SUCCEEDED') return `SUCCEEDED(${e.passRate})`;
      if (e.type === 'FAILED') return `FAILED(${e.reason})`;
      if (e.type === 'DECIDE') return `DECIDE(${e.decision})`;
      if (e.type === 'DEPENDENCY_FAILED') return `DEPENDENCY_FAILED(${e.policy})`;
      return e.type;
    })
    .join(' → ');
}

const visited = new Set<string>(['pending']);
const taken = new Map<string, SheetTransition>();

function record(model: SheetTestModel, steps: ReadonlyArray<{ event: unknown }>): void {
  for (const transition of transitionsOf(model.input, steps.slice(1).map((step) => step.event as SheetEvent))) {
    visited.add(transition.target);
    taken.set(transitionKey(transition), transition);
  }
}

describe('sheet model paths against the real conductor', () => {
  it.each(plans())('%s', async (_name, { model, path }) => {
    const driver = createConductorSheetDriver({ settings: model.settings });
    try {
      await path.test(model.params(driver));
    } finally {
      await driver.close();
    }
    record(model, path.steps);
  });
});

describe('coverage of the sheet machine', () => {
  const definition = sheetTransitions();

  it('visits every state of the machine', () => {
    expect([...visited].sort()).toEqual([...SHEET_STATES].sort());
  });

  it('takes every transition of the definition (source, event, target)', () => {
    const all = new Set(definition.map((t) => transitionKey(t, { guards: false })));
    const seen = new Set([...taken.values()].map((t) => transitionKey(t, { guards: false })));
    expect([...seen].sort()).toEqual([...all].sort());
  });

  it('takes every guarded candidate except exactly the impossible ones', () => {
    const missing = definition.map((t) => transitionKey(t)).filter((key) => !taken.has(key));
    expect(missing.sort()).toEqual(Object.keys(IMPOSSIBLE).sort());
  });
});

describe('the model check', () => {
  it('fails a path when the runtime does not do what the model says', async () => {
    const model = createSheetTestModel({ retries: 1 });
    const path = model.pathFromEvents([
      { type: 'DEPS_MET' },
      { type: 'DISPATCH' },
      { type: 'STARTED' },
      { type: 'SUCCEEDED', passRate: 1, at: 0, random: model.settings.random },
    ]);
    // An instrument integration that reports every success as a failure.
    const driver = createConductorSheetDriver({
      settings: model.settings,
      play: () => Promise.resolve({ status: 'failure', error: 'lost the result' }),
    });
    try {
      await expect(path.test(model.params(driver))).rejects.toBeInstanceOf(SheetModelMismatchError);
    } finally {
      await driver.close();
    }
  });

  it('rejects settings it cannot model, naming the setting', () => {
    expect(() => createSheetTestModel({ retries: -1 })).toThrow('sheet model setting retries: expected an integer from 0 to 5, got -1');
    expect(() => createSheetTestModel({ rateLimitMs: 1500 })).toThrow('rateLimitMs');
  });

  it('rejects a scenario whose event the machine would ignore, naming the event and the state', () => {
    const model = createSheetTestModel();
    expect(() => model.pathFromEvents([{ type: 'DEPS_MET' }, { type: 'RETRY_DUE' }])).toThrow(
      'sheet model: event 2 (RETRY_DUE) does nothing in state ready',
    );
  });
});
