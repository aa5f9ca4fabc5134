import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { createCommandInstrument } from '../../src/index.js';
import {
  createConductorSheetDriver,
  createSheetTestModel,
  type AttemptEnding,
  type PlayAttempt,
} from '../../src/testing/index.js';

/**
 * The example of docs/model-based-testing.md, run for real: a command instrument's attempts
 * are subprocesses of examples/model-test/flaky-cli.sh, and the score entry's `rate_limit`
 * and `cost_pattern` must turn what it prints into the model's waits and budget failures.
 */
const CLI = fileURLToPath(new URL('../../examples/model-test/flaky-cli.sh', import.meta.url));

const cli = createCommandInstrument({ name: 'primary', command: ['sh', CLI] });
// A program that does not exist: the way a command instrument becomes unavailable.
const missing = createCommandInstrument({ name: 'primary', command: ['/nonexistent/flaky-cli'] });

function argsFor(ending: AttemptEnding): string[] {
  switch (ending.kind) {
    case 'success':
      return ['succeed'];
    case 'failure':
    case 'unavailable':
      return ['fail'];
    case 'rateLimit':
      return ['rate-limit', String(ending.waitMs / 1000)];
    case 'costly':
      return ['cost', String(ending.costUsd)];
  }
}

const play: PlayAttempt = (ending, request, signal) => {
  const instrument = ending.kind === 'unavailable' ? missing : cli;
  return instrument.run({ ...request, args: argsFor(ending) }, signal, { onStarted() {} });
};

const sheetModel = createSheetTestModel({ retries: 0, fallbacks: 1, budget: true });

describe('a command instrument follows the sheet model', () => {
  for (const path of sheetModel.model.getShortestPaths()) {
    it(path.steps.slice(1).map((step) => step.event.type).join(' → '), async () => {
      const driver = createConductorSheetDriver({
        settings: sheetModel.settings,
        play,
        instrument: {
          rateLimit: {
            patterns: [/429|rate limit/],
            streams: ['stderr'],
            retryAfter: /retry after (\d+)/,
            defaultWaitMs: 60_000,
            maxWaitMs: 3_600_000,
            scope: 'instrument',
          },
          costPattern: /total cost: \$([\d.]+)/,
        },
      });
      try {
        await path.test(sheetModel.params(driver));
      } finally {
        await driver.close();
      }
    });
  }
});
