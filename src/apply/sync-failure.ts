/**
 * The failure a caller of the incremental sync sees when a connection broke under it (the target
 * restarted, the walsender was terminated, the network cut): a retryable PGFERRY_CONNECTION_LOST
 * that names the side and the database and says how to go on. Nothing is lost by it: the apply's
 * open target transaction is rolled back with the session, and the stream starts again from the
 * progress committed on the target (ARCHITECTURE.md, correctness core).
 */
import { PgferryError, messageOf } from '../errors.js'
import { isConnectionLoss } from '../pg/connection-loss.js'

/** `error` as the sync of `database` reports it: a lost connection, or itself. */
export function syncFailure(error: unknown, database: string): unknown {
  if (!isConnectionLoss(error)) return error
  if (
    error instanceof PgferryError &&
    error.code === 'PGFERRY_CONNECTION_LOST' &&
    error.message.includes(database)
  )
    return error
  // an apply statement that failed is the target's, the stream's the source's
  const side = error instanceof PgferryError && error.side === 'source' ? 'source' : 'target'
  return new PgferryError(
    'PGFERRY_CONNECTION_LOST',
    `the connection to the ${side} was lost during the incremental sync of ${database}: ${messageOf(error)}`,
    {
      side,
      cause: error,
      fix: `once the ${side} is reachable, call startIncremental(task) again (or complete(task), if it was completing): it resumes from the progress recorded on the target, with nothing lost or applied twice`,
      cliFix: `once the ${side} is reachable, run pgferry resume <task id> (or pgferry complete <task id>, if it was completing): it resumes from the progress recorded on the target, with nothing lost or applied twice`,
    },
  )
}
