import { createActor, type Actor } from 'xstate';
import { batchMachine, type BatchInput } from '../machines/batch.js';
import { actorOptions, type Inspector } from './inspector.js';

export type BatchActor = Actor<typeof batchMachine>;

/** The actor of one batch of a run (`batches/<run id>/<index>`); not started. */
export function createBatchActor(runId: string, input: BatchInput, inspect?: Inspector): BatchActor {
  return createActor(batchMachine, { input, ...actorOptions(`batches/${runId}/${input.index}`, inspect) });
}
