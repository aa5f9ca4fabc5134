import type { Conductor } from '../runtime/conductor.js';
import type { CoordinationBackend } from '../coordination/backend.js';
import { CoordinationTargetError, openCoordination } from '../coordination/open.js';
import { errorMessage } from '../util/error-message.js';

export interface CoordinationFlags {
  /** `--coordinate` (or `BATON_COORDINATION`): where policy state is shared. */
  coordinate?: string;
  /** `--coordinate-lease`, in ms. */
  coordinateLease?: number;
}

/**
 * Opens the backend `--coordinate` names. Null when it cannot be used at all (an unknown
 * kind of target, a file that is not a coordination file): the message is written and the
 * command exits 2. A Redis that does not answer yet is not that: the run starts on its own
 * state and connects when it can.
 */
export async function openCoordinationForCli(flags: CoordinationFlags, err: NodeJS.WritableStream): Promise<CoordinationBackend | undefined | null> {
  if (flags.coordinate === undefined || flags.coordinate === '') return undefined;
  try {
    return await openCoordination(flags.coordinate);
  } catch (error) {
    err.write(`baton: ${error instanceof CoordinationTargetError ? error.message : `--coordinate ${flags.coordinate}: ${errorMessage(error)}`}\n`);
    return null;
  }
}

/** Says on stderr when the backend becomes unreachable (once per outage) and when it is back. */
export function reportCoordination(conductor: Conductor, err: NodeJS.WritableStream): void {
  conductor.events$.subscribe((event) => {
    if (event.type === 'coordination.offline') {
      err.write(`baton: the coordination backend ${event.target} is unreachable (${event.error}); going on with this process's own rate limits, breakers and caps\n`);
    } else if (event.type === 'coordination.online') {
      err.write(`baton: the coordination backend ${event.target} answers again; shared state is synchronised\n`);
    }
  });
}
