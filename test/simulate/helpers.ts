import { defineProfile, type ProfileInput, type ValidationSpec } from '../../src/index.js';

export { defineProfile };
export type { ProfileInput };

/** `n` validations of a compiled stage; simulated instruments only count them. */
export function checks(n: number): ValidationSpec[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'file_exists' as const, path: { source: `out-${i}`, parts: [`out-${i}`] } }));
}

/** A profile where every attempt of every instrument takes `latency` and succeeds. */
export function steady(latency: string, extra: Partial<NonNullable<ProfileInput['default']>> = {}) {
  return defineProfile({ default: { latency, ...extra } });
}
