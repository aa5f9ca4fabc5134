export { parseDuration } from './duration.js';
export { ScoreError, type ScoreProblem } from './errors.js';
export {
  defineScore,
  loadInstrumentModules,
  loadScore,
  parseScore,
  type DefineScoreOptions,
  type ParseScoreOptions,
} from './load.js';
export { scoreSchema, type ScoreInput } from './schema.js';
export {
  TEMPLATE_NAMES,
  TemplateError,
  compileTemplate,
  renderTemplate,
  type TemplateScope,
} from './template.js';
export type {
  CircuitBreakerSpec,
  CommandInstrumentSpec,
  DependencyRef,
  FunctionInstrumentSpec,
  InstrumentSpec,
  RateLimitSpec,
  Score,
  StageSpec,
  Template,
  ValidationSpec,
} from './types.js';
