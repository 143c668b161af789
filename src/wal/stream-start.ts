/**
 * What a replication stream's START_REPLICATION needs from the server (replication-stream.ts): the
 * protocol options it supports, the status interval its wal_sender_timeout calls for, and the
 * command itself.
 */
import type pg from 'pg'
import { formatLsn, toLsn } from './lsn.js'
import {
  negotiateProtocol,
  startReplicationCommand,
  type NegotiatedProtocol,
} from './protocol-options.js'
import type { ReplicationStreamOptions } from './replication-stream-options.js'
import { statusIntervalFor } from './status-interval.js'

/** The negotiated start of one stream. */
export interface StreamStart {
  readonly protocol: NegotiatedProtocol
  readonly command: string
  readonly statusIntervalMs: number
}

/** Ask the server behind `client` what the stream with these options starts with. */
export async function negotiateStart(
  client: pg.Client,
  options: ReplicationStreamOptions,
): Promise<StreamStart> {
  const version = await client.query<{ server_version_num: string }>('SHOW server_version_num')
  const protocol = negotiateProtocol(Number(version.rows[0]?.server_version_num), options)
  let interval = options.statusIntervalMs
  if (interval === undefined) {
    const t = await client.query<{ wal_sender_timeout: string }>('SHOW wal_sender_timeout')
    interval = statusIntervalFor(t.rows[0]?.wal_sender_timeout ?? '0')
  }
  const startLsn = formatLsn(toLsn(options.startLsn ?? 0n))
  const command = startReplicationCommand(options.slot, startLsn, options.publications, protocol)
  return { protocol, command, statusIntervalMs: interval }
}
