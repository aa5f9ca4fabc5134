import { createCommandInstrument } from '../actors/instruments/command.js';
import { createFunctionInstrument } from '../actors/instruments/function.js';
import type { Instrument, SheetFunction } from '../actors/instruments/instrument.js';
import { InstrumentSetupError } from './errors.js';
import type { Score } from '../score/types.js';

/** Instruments given in code, by name: a ready `Instrument` or just the sheet function. */
export type InstrumentOverrides = Record<string, Instrument | SheetFunction>;

/** Builds the instruments a score names, letting code replace any of them. */
export function createInstruments(score: Score, overrides: InstrumentOverrides = {}): Map<string, Instrument> {
  const instruments = new Map<string, Instrument>();
  for (const [name, given] of Object.entries(overrides)) {
    if (!(name in score.instruments)) {
      throw new InstrumentSetupError(name, 'is not defined in the score');
    }
    instruments.set(name, typeof given === 'function' ? createFunctionInstrument({ name, fn: given }) : given);
  }
  for (const [name, spec] of Object.entries(score.instruments)) {
    if (instruments.has(name)) continue;
    if (spec.kind === 'command') {
      instruments.set(name, createCommandInstrument({ name, command: spec.command, env: spec.env, promptVia: spec.promptVia }));
    } else if (spec.fn !== undefined) {
      instruments.set(name, createFunctionInstrument({ name, fn: spec.fn }));
    } else {
      throw new InstrumentSetupError(
        name,
        'its function is not loaded: load the score with loadScore(), or pass the function in `instruments`',
      );
    }
  }
  return instruments;
}
