import type { AttemptOutcome, AttemptRequest } from '../../actors/instruments/instrument.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import type { SheetRecord } from '../model/sheet-record.js';

/** A dispatched attempt, prepared and checkpointed, ready for its musician to play. */
export interface Launch {
  job: Job;
  record: SheetRecord;
  attempt: LiveAttempt;
  request: AttemptRequest;
  /**
   * What must happen before the musician plays, called by whoever starts it: a gate's
   * confirmation from the coordination backend, and for a sheet with a context (or a
   * `{{deps.ID.output}}`) reading it and rendering the request again with it.
   */
  assemble?: () => Promise<AttemptRequest>;
}

/** What a musician reports back, through the conductor's inbox. */
export type MusicianReport =
  | { kind: 'started'; job: Job; record: SheetRecord; attempt: LiveAttempt; pid: number | undefined }
  | { kind: 'finished'; job: Job; record: SheetRecord; attempt: LiveAttempt; outcome: AttemptOutcome };
