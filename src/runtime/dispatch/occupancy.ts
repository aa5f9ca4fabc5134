import { modelKey } from '../../machines/model-key.js';

/** Attempts in flight across every job: the counts the caps are checked against. */
export class Occupancy {
  total = 0;
  readonly byInstrument = new Map<string, number>();
  readonly byModel = new Map<string, number>();

  take(instrument: string, model: string | undefined): void {
    this.total++;
    bump(this.byInstrument, instrument, 1);
    if (model !== undefined) bump(this.byModel, modelKey(instrument, model), 1);
  }

  release(instrument: string, model: string | undefined): void {
    this.total--;
    bump(this.byInstrument, instrument, -1);
    if (model !== undefined) bump(this.byModel, modelKey(instrument, model), -1);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}
