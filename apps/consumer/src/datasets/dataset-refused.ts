import type { ErrorDetail } from '#ferry/errors';

/** The file error of a dataset definition this consumer will not store or compile. */
export const DATASET_REFUSED = 'DATASET_REFUSED';

/**
 * A definition the provider served that this consumer refuses (docs/security.md, "Bounds"): not a
 * dataset definition, a record schema it will not compile, or a table that is not the dataset's own.
 * Nothing of it is stored or compiled; the files needing it fail with this message.
 */
export class DatasetRefused extends Error {
  readonly code = DATASET_REFUSED;

  constructor(dataset: string, reason: string, problems: ErrorDetail[] = []) {
    const listed = problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.problem}`)
      .join('; ');
    super(`Dataset ${dataset} refused: ${reason}${listed ? ` (${listed})` : ''}`);
    this.name = 'DatasetRefused';
  }
}
