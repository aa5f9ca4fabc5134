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
}

/** What a musician reports back, through the conductor's inbox. */
export type MusicianReport =
  | { kind: 'started'; job: Job; record: SheetRecord; attempt: LiveAttempt; pid: number | undefined }
  | { kind: 'finished'; job: Job; record: SheetRecord; attempt: LiveAttempt; outcome: AttemptOutcome };
