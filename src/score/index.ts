export { parseDuration } from './duration.js';
export { ScoreError, type ScoreProblem } from './errors.js';
export {
  defineScore,
  loadScore,
  parseScore,
  type DefineScoreOptions,
  type LoadScoreOptions,
  type ParseScoreOptions,
} from './load.js';
export {
  definePlatformDefaults,
  loadPlatformDefaults,
  parsePlatformDefaults,
  type DefinePlatformDefaultsOptions,
  type LoadPlatformDefaultsOptions,
  type ParsePlatformDefaultsOptions,
  type PlatformDefaults,
} from './defaults/load.js';
export { platformDefaultsSchema, type PlatformDefaultsInput } from './defaults/schema.js';
export { BUILT_IN_SETTINGS } from './defaults/resolve.js';
export { RATE_LIMIT_DEFAULTS } from './rate-limit-defaults.js';
export { SheetNotInScoreError, explainSheet, type ExplainedSetting, type SheetExplanation } from './defaults/explain.js';
export { scoreSchema, type ScoreInput } from './schema.js';
export {
  renderTemplate,
} from './template.js';
export type {
  CircuitBreakerSpec,
  CommandInstrumentSpec,
  DependencyRef,
  FunctionInstrumentSpec,
  InstrumentSpec,
  RateLimitSpec,
  Score,
  SettingSource,
  StageSpec,
  ValidationSpec,
} from './types.js';
