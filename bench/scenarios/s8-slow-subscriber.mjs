// S8, baton: the job with an events$ subscriber that takes 20 ms per event.
import { argN } from '../lib/measure.mjs';
import { runSlowSubscriberJob } from '../lib/slow-subscriber-job.mjs';

await runSlowSubscriberJob(argN(), { slowSubscriber: true });
