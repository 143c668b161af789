/**
 * What a failure of the replication connection means for the caller: a missing slot (resume is
 * impossible without it), a slot still streamed to another connection (retry later), a lost
 * connection (retry), or any other server refusal (an option, a publication, a permission).
 */
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import { isConnectionLoss } from '../pg/connection-loss.js'
import { quoteLiteral } from '../pg/quote.js'

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
  if (state === '55006' && /replication slot/i.test(text)) {
    // "replication slot … is active for PID n": most often the walsender of a connection that died
    // unseen (a network black hole, a killed process), which the source ends only once
    // wal_sender_timeout passes without a reply from it
    const slot = slotOf(command)
    const pid = /\bPID (\d+)/i.exec(text)?.[1]
    const terminate =
      pid !== undefined
        ? `SELECT pg_terminate_backend(${pid})`
        : `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(slot)}`
    return new PgferryError(
      'PGFERRY_WAL_SLOT_ACTIVE',
      `replication slot ${JSON.stringify(slot)} is still streamed to another connection${pid !== undefined ? ` (walsender PID ${pid})` : ''}`,
      {
        cause: error,
        fix: `if no other process runs this task, that connection is dead and the source ends it once its wal_sender_timeout passes without a reply: start again after that, or end it at once on the source: ${terminate};`,
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

/** A CopyData whose first byte is neither XLogData nor a keepalive. */
export function unexpectedMessageError(kind: number | undefined): PgferryError {
  return new PgferryError(
    'PGFERRY_WAL_PROTOCOL',
    `unexpected replication message 0x${(kind ?? 0).toString(16)} in CopyData`,
  )
}
