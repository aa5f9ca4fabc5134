/**
 * A sheet's `output` as stored: its JSON text, or null for null, undefined and anything
 * JSON cannot hold (a function, a cycle, a BigInt). Never throws: an odd output must not
 * stop a checkpoint. Like JSON, it drops function-valued and undefined properties.
 */
export function encodeOutput(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

export function decodeJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** The value `output` reads back as, through either store. */
export function normaliseOutput(value: unknown): unknown {
  return decodeJson(encodeOutput(value));
}
