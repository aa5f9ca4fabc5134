// S10: rate-limit propagation through SQLite and through Redis, N reports each (see
// lib/propagation.mjs); the measured time is both, the figures are the extra fields.
import { argN, measure } from '../lib/measure.mjs';
import { propagationDelays } from '../lib/propagation.mjs';

const n = argN();
await measure(async () => {
  const sqlite = await propagationDelays('sqlite', n);
  const redis = await propagationDelays('redis', n);
  return {
    sqliteMedianMs: sqlite.median,
    sqliteMaxMs: sqlite.max,
    redisMedianMs: redis.median,
    redisMaxMs: redis.max,
  };
});
