/**
 * What a failure of the replication connection means for the caller: a missing slot (resume is
 * impossible without it), a lost connection (retry), or any other server refusal (an option, a
 * publication, a permission).
 */
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import { isConnectionLoss } from '../pg/connection-loss.js'

/** The slot name of a START_REPLICATION command (quoted by startReplicationCommand). */
function slotOf(command: string): string {
  const m = /^START_REPLICATION SLOT "((?:[^"]|"")*)"/.exec(command)
  return (m?.[1] ?? '').replace(/""/g, '"')
}

/** Map an error pg reported on the replication connection running `command`. */
export function replicationError(error: unknown, command: string): PgferryError {
  if (error instanceof PgferryError) return error
  const state = sqlStateOf(error)
  const text = messageOf(error)
  if (state === '42704' && /replication slot/i.test(text)) {
    return new PgferryError(
      'PGFERRY_WAL_SLOT_MISSING',
      `replication slot ${JSON.stringify(slotOf(command))} does not exist`,
      {
        cause: error,
        fix: 'create the slot (the full load does) or resume from a task that still has it',
      },
    )
  }
  // the walsender terminated (57P01), the source shutting down or restarting, the network cut
  if (isConnectionLoss(error)) {
    return new PgferryError(
      'PGFERRY_CONNECTION_LOST',
      `the replication connection to the source was lost: ${text}`,
      {
        side: 'source',
        cause: error,
        fix: 'start the stream again on a new replication connection once the source is reachable: it resumes from the confirmed position, which the slot keeps',
      },
    )
  }
  return new PgferryError('PGFERRY_WAL_PROTOCOL', `replication stream failed: ${text}`, {
    cause: error,
  })
}
