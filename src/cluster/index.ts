/**
 * `baton-runtime/cluster`: what takes baton beyond one process. Coordination backends share
 * rate limits, circuit breakers and `shared_concurrency` caps between conductors, under each
 * instrument's `shared_as` identity: SQLite for the processes of one host, Redis across
 * hosts (its client, `ioredis`, is an optional peer dependency, loaded only when a Redis
 * backend connects). Hand one to `new Conductor({ coordination: { backend } })`.
 */
export type { CoordinationBackend, SharedBreaker, SharedLimit, SharedSlots, SharedState, StoredBreaker } from '../coordination/backend.js';
export { SqliteCoordination } from '../coordination/sqlite-backend.js';
export { RedisCoordination } from '../coordination/redis-backend.js';
export { CoordinationTargetError, defaultCoordinationPath, openCoordination } from '../coordination/open.js';
export type { CoordinationOptions } from '../runtime/coordination/shared-policy.js';
