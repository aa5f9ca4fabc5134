/**
 * The key of one model of an instrument in maps shared across layers (caps, in-flight
 * counts, gates); an instrument without a model is keyed by its name alone.
 */
export function modelKey(instrument: string, model: string | undefined): string {
  return model === undefined ? instrument : `${instrument}\u0000${model}`;
}
