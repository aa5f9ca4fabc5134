// S9, subject: the S1 job with `shared_concurrency: 10`, its slots claimed from a SQLite
// coordination file (every attempt claims and frees one).
import { argN, measure } from '../lib/measure.mjs';
import { runJob, sharedScore, SqliteCoordination, tempFile } from '../lib/shared-job.mjs';

const n = argN();
const backend = new SqliteCoordination(tempFile('coordination.db'));
await measure(() => runJob(sharedScore(n, 10), { backend }));
await backend.close();
