// S8, baseline: the same job with nobody subscribed to events$.
import { argN } from '../lib/measure.mjs';
import { runSlowSubscriberJob } from '../lib/slow-subscriber-job.mjs';

await runSlowSubscriberJob(argN(), { slowSubscriber: false });
