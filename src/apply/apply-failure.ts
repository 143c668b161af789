/** The failure an apply ends with, as a PgferryError that names its database. */
import { PgferryError, messageOf } from '../errors.js'

/** `error` as the apply of `database` reports it. */
export function applyFailure(error: unknown, database: string): PgferryError {
  if (error instanceof PgferryError) return error
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `incremental apply of ${database} failed: ${messageOf(error)}`,
    { cause: error },
  )
}

/** The replication stream of `database` ended on its own, with `error` or none. */
export function streamEndFailure(error: unknown, database: string): PgferryError {
  return error === undefined
    ? new PgferryError(
        'PGFERRY_CONNECTION_LOST',
        `the source ended the replication stream of ${database}`,
        { side: 'source' },
      )
    : applyFailure(error, database)
}
