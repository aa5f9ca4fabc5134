export type { Distribution } from './distribution.js';
export { defineProfile, loadProfile, parseProfile, type InstrumentBehaviour, type Profile } from './profile.js';
export { ProfileError } from './profile-error.js';
export { profileSchema, type ProfileInput } from './profile-schema.js';
export { formatSimulation } from './report.js';
export {
  simulate,
  type CriticalStep,
  type RunSummary,
  type SheetSummary,
  type SimulateOptions,
  type SimulationResult,
} from './simulate.js';
export type { Spread } from './statistics.js';
