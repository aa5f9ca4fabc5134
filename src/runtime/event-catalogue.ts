import type { BatonEvent, BatonEventType } from './events.js';

/** What an `attempt.ended` event says the attempt counts as. */
export type AttemptEndedOutcome = Extract<BatonEvent, { type: 'attempt.ended' }>['outcome'];

/**
 * Every event type `events$` carries, with when it comes. `satisfies` holds it to the
 * `BatonEvent` union: a type added there and missing here (or left here after it went) fails
 * to compile, so the README's list, generated from this by `npm run events`, cannot miss one.
 */
export const BATON_EVENT_TYPES = {
  'job.started': 'a job was registered: `name`, `sheets`',
  'job.paused': 'the job starts nothing new; running attempts finish (`reason`: `user`, `budget`, a failed checkpoint)',
  'job.resumed': 'a paused job dispatches again',
  'job.held': 'nothing can go on until a decision: the open `fermatas`',
  'job.completed': 'every sheet ended, none failed nor was skipped by a failure',
  'job.failed': 'every sheet ended, some failed or were skipped by a failure: `failed`, `skipped`',
  'job.cancelled': 'the job was cancelled',
  'rate_limit.active': 'an instrument (or one `model` of it) is rate-limited for every job until `untilMs`',
  'rate_limit.cleared': 'that rate limit passed or was cleared',
  'circuit.open': "an instrument's circuit breaker opened: nothing is sent to it until `reopenAt`",
  'circuit.half_open': 'the cool-down passed: one probe attempt may go through',
  'circuit.closed': 'the probe succeeded: the instrument takes attempts again',
  'coordination.offline': "the coordination backend `target` could not be reached (`error`): policies go on with this conductor's own state",
  'coordination.online': 'the coordination backend answers again: shared state is read, and what this conductor learnt meanwhile is pushed to it',
  'sheet.dispatched': 'an attempt was decided on: `attempt`, `mode`, `instrument`, `model`',
  'sheet.running': "the attempt's process or function started",
  'sheet.completed': 'the sheet succeeded (or its fermata was accepted): `attempts` used, `rateLimited` runs, `costUsd`',
  'sheet.partial': 'some validations passed (`passRate`): a completion-mode attempt follows',
  'sheet.retry': 'the attempt failed (`reason`, `error`): another one in `delayMs`',
  'sheet.waiting': 'the attempt was rate-limited: the sheet waits until `untilMs` without using an attempt',
  'sheet.fallback': 'the sheet moved from instrument `from` to `to` (`reason`)',
  'sheet.fermata': 'the sheet is held until a decision (`baton decide`, `conductor.decide`)',
  'sheet.decided': "a fermata's `decision` was taken",
  'sheet.failed': 'the sheet failed: `reason`, `error`',
  'sheet.skipped': 'the sheet will not run: `reason`',
  'sheet.cancelled': 'the sheet was cancelled',
  'attempt.ended': 'an attempt ended and was judged: `outcome`, `reason`, `costUsd`, `durationMs`',
  'dispatch.at_capacity': "the instrument's dispatch buffer was full: the sheet stays ready for a later turn",
  'dispatch.start_error': 'starting an attempt failed in a buffer worker (`permanent`: not retried)',
  'buffer.depth': "an instrument's dispatch buffer changed: starts `queued` and `starting`",
} as const satisfies Record<BatonEventType, string>;

/** Every `outcome` of `attempt.ended`, with what it means; held to the union like `BATON_EVENT_TYPES`. */
export const ATTEMPT_OUTCOMES = {
  success: 'it succeeded and its validations passed',
  partial: 'it succeeded and some of its validations passed',
  failure: 'it failed, or none of its validations passed: it used an attempt',
  rate_limited: 'it hit a rate limit: it used no attempt',
  cancelled: 'it was not judged: its sheet or job was cancelled',
  interrupted: 'the conductor stopped (`shutdown()`, Ctrl-C) while it ran: it used no attempt, and a resume runs it again',
} as const satisfies Record<AttemptEndedOutcome, string>;
