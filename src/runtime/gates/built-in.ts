import { breakerGate } from './breaker-gate.js';
import type { GateKind } from './gate.js';
import { rateLimitGate } from './rate-limit-gate.js';
import { sharedCapGate } from './shared-cap-gate.js';

/**
 * The gates every conductor runs, in the order they speak: when two hold the same
 * instrument back equally, the planner reports the first one's reason.
 */
export const BUILT_IN_GATES: readonly GateKind[] = [rateLimitGate, breakerGate, sharedCapGate];
