import { PgferryError } from '../errors.js'

/** The run function of a stage that a later release fills in. */
export function notImplemented(stage: string): () => Promise<never> {
  return async () => {
    throw new PgferryError(
      'PGFERRY_STAGE_NOT_IMPLEMENTED',
      `the '${stage}' stage is not implemented yet in this version of pgferry`,
      {
        fix: 'upgrade pgferry, or supply the stage yourself',
      },
    )
  }
}
