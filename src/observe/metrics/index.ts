export { attachMetrics, type MetricsAttachment } from './attach.js';
export { PrometheusRecorder, type PrometheusRecorderOptions } from './prometheus.js';
export { NoopRecorder, type AttemptOutcomeLabel, type EndedAttempt, type GaugeSource, type MetricsRecorder } from './recorder.js';
