/**
 * The schema of a platform defaults file: the settings of a score's `defaults:` block at
 * its top level, plus an `instruments:` map of the same shape as a score's. Built from the
 * score schema itself, so the two can never drift apart.
 */
import type { z } from 'zod';
import { scoreSchema, type ScoreData } from '../schema.js';

const defaultsBlock = scoreSchema.shape.defaults.unwrap();

export const platformDefaultsSchema = defaultsBlock
  .extend({
    instruments: scoreSchema.shape.instruments
      .optional()
      .describe('Instruments any score may name. A score instrument of the same name replaces one of these whole.'),
  })
  .describe(
    'Platform defaults: sheet settings below every score (sheet > score defaults > platform defaults > built-in), and instruments scores may name.',
  );

/** A platform defaults file as written, or what a program passes to `definePlatformDefaults`. */
export type PlatformDefaultsInput = z.input<typeof platformDefaultsSchema>;
/** The settings a sheet can take from a `defaults:` block or set itself. */
export type SheetSettingsData = NonNullable<ScoreData['defaults']>;
