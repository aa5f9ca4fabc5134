// S9, baseline: the same job with its slots claimed from Redis (a local redis-server).
import { argN, measure } from '../lib/measure.mjs';
import { RedisCoordination, runJob, sharedScore, startRedis } from '../lib/shared-job.mjs';

const n = argN();
const redis = await startRedis();
const backend = await RedisCoordination.connect(redis.url);
await measure(() => runJob(sharedScore(n, 10), { backend }));
await backend.close();
redis.stop();
