export { createSheetTestModel, type SheetSnapshot, type SheetTestModel } from './sheet-test-model.js';
export type { ResolvedSheetModelSettings, SheetModelSettings } from './sheet-model-settings.js';
export { performEvent, type ModelFailure, type SheetModelDriver } from './sheet-model-driver.js';
export { compareWithModel, SheetModelMismatchError, type SheetObservation } from './sheet-observation.js';
export {
  createConductorSheetDriver,
  type ConductorSheetDriver,
  type ConductorSheetDriverOptions,
} from './conductor-sheet-driver.js';
export { HeldInstrument, playOutcome, type AttemptEnding, type HeldAttempt, type PlayAttempt } from './held-instrument.js';
export type { InstrumentTraits } from './model-score.js';
export { sheetTransitions, takenTransition, transitionKey, transitionsOf, type SheetTransition } from './sheet-transitions.js';
