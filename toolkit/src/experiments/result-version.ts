/**
 * Versions of run results (`result.json`, the lines of an ablation's `results.jsonl`).
 *
 * - Version 1 (no `resultVersion` field; synapses-ts before validation-based selection) reported
 *   `bestTestAccuracy`: the best epoch chosen ON THE TEST SET, which overstates accuracy. Such rows still load:
 *   the field is dropped, the selection fields are null, and the row carries a `note` saying so.
 * - Version 2 ({@link RESULT_VERSION}): the best epoch is chosen on a validation part; the test metrics of the
 *   final model and of the best-validation model are reported.
 *
 * @packageDocumentation
 */
import { DataError } from '../core/errors';
import { RESULT_VERSION } from './run';

/** The note attached to version-1 rows. */
export const VERSION_1_NOTE =
  'written by an older synapses-ts (result format 1): its "bestTestAccuracy" was chosen on the test set and is not ' +
  'reported; testAccuracy is the final model\'s; rerun for validation-based selection (bestEpoch, testAccuracyAtBest)';

/**
 * Brings a stored result row to the current version (see the module description).
 * @param where - the file (and line) it came from, for messages.
 * @returns the row as version 2, with `note` when it was converted.
 * @throws {@link DataError} for a row written by a newer toolkit, or one that is not an object.
 */
export function upgradeResult<T extends object>(raw: unknown, where: string): T & { note?: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DataError(`${where}: a result must be a JSON object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const v = r.resultVersion;
  if (v === RESULT_VERSION) return raw as T;
  if (typeof v === 'number' && v > RESULT_VERSION) {
    throw new DataError(`${where}: result format ${v} was written by a newer synapses-ts; this one reads formats 1 to ${RESULT_VERSION}`);
  }
  if (v !== undefined && v !== 1) throw new DataError(`${where}: resultVersion must be a number, got ${JSON.stringify(v)}`);
  const { bestTestAccuracy: _dropped, ...rest } = r;
  return {
    status: 'finished',
    bestEpoch: null, monitor: 'valAccuracy', bestValAccuracy: null, bestValLoss: null, testAccuracyAtBest: null, testLossAtBest: null,
    valAccuracy: null, valLoss: null, stoppedEarly: false, validationSamples: 0,
    ...rest,
    resultVersion: 1,
    note: VERSION_1_NOTE,
  } as unknown as T & { note?: string };
}
