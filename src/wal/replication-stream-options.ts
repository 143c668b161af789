/**
 * The options of a {@link ReplicationStream} (replication-stream.ts), apart so the transport reads
 * in one sitting.
 */
import type { LsnString } from './lsn.js'
import type { ProtocolRequest } from './protocol-options.js'
import type { StreamSpoolOptions } from './stream-spool.js'

/** @public */
export interface ReplicationStreamOptions extends ProtocolRequest {
  /** The logical slot (pgoutput) to read. */
  readonly slot: string
  /** Publications to decode. */
  readonly publications: readonly string[]
  /** Where to start; `0/0` means the slot's confirmed_flush_lsn. Defaults to `0/0`. */
  readonly startLsn?: bigint | LsnString
  /**
   * `'spool'`: streamed transactions are held (memory, then disk) and handed out only at Stream
   * Commit / Stream Prepare, in order, followed by that message; Stream Start/Stop/Abort are not
   * delivered. `'live'`: as `'spool'`, and each message of a streamed block (Stream Start, Stop and
   * Abort included) is also delivered as it arrives, so the consumer can apply the transaction
   * while it streams; at Stream Commit / Stream Prepare `replayStreamed` says whether the spooled
   * messages are delivered again first. `'raw'`: every message as it arrives, nothing spooled.
   * Defaults to `'spool'`.
   */
  readonly streamedTransactions?: 'spool' | 'live' | 'raw'
  /**
   * With `'live'`: called at a streamed transaction's Stream Commit / Stream Prepare; true to have
   * its spooled messages delivered again before it (the consumer gave up what it was given live),
   * false to drop them. Defaults to always true.
   */
  readonly replayStreamed?: (xid: number) => boolean
  /** Limits of the spool. */
  readonly spool?: StreamSpoolOptions
  /**
   * Interval of standby status updates. Defaults to half the server's wal_sender_timeout, at most
   * 10 s.
   */
  readonly statusIntervalMs?: number
  /**
   * When everything delivered is confirmed and no transaction is open, confirm the walEnd of
   * keepalives too, so an idle or filtered-out source does not pin WAL. Defaults to true.
   */
  readonly confirmIdle?: boolean
  /**
   * Milliseconds without a byte from the server after which the connection is taken for dead (a
   * network path that drops packets, a host gone without closing it), as PostgreSQL's
   * `wal_receiver_timeout`: at half of it a status update asks the server for a reply, which a live
   * walsender sends at once; at the full timeout the socket is destroyed and the stream fails with
   * a retryable `PGFERRY_CONNECTION_LOST`. Time while the handler holds reading paused does not
   * count. 0 disables it. Defaults to 60 000.
   */
  readonly receiveTimeoutMs?: number
  /** Stops the stream (as `stop()`) when aborted. */
  readonly signal?: AbortSignal
}
