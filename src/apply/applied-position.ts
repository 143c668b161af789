/**
 * How far one apply is: the end LSN of the last source transaction committed on the target (which
 * is then confirmed to the source, never before), the source commit time of it for the lag in
 * seconds, and the `apply:batch` event of each target commit.
 */
import type { StageContext } from '../model/stage.js'
import type { ReplicationStream } from '../wal/replication-stream.js'
import { formatLsn, parseLsn } from '../wal/lsn.js'
import type { CommittedBatch } from './apply-batch.js'
import type { EagerCommit } from './eager-transaction.js'

/**
 * One database's gap: bytes and seconds behind, received and applied positions, and the WAL its
 * slot holds back on the source.
 * @public
 */
export interface LagSample {
  /** The source database. */
  readonly database: string
  /**
   * Bytes from the last applied position to the source's `pg_current_wal_lsn()`; 0 when at or past
   * it.
   */
  readonly lagBytes: bigint
  /**
   * Seconds since the source commit time of the last applied transaction; 0 when caught up or idle.
   */
  readonly lagSeconds: number
  /** The end of the WAL received from the source, as LSN text (`0/16B3748`). */
  readonly receivedLsn: string
  /** The end of the last source transaction committed on the target, as LSN text. */
  readonly appliedLsn: string
  /** `pg_current_wal_lsn() - restart_lsn` of the task's slot; undefined once the stream ended. */
  readonly retainedBytes: bigint | undefined
}

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000

/** The applied position of one database's apply. */
export class AppliedPosition {
  readonly #ctx: StageContext
  readonly #database: string
  readonly #stream: () => ReplicationStream | undefined
  /** A confirmation made before the stream was known (its first messages), to pass on to it. */
  #early = 0n
  #end: bigint
  /** Unix ms of the last applied source commit; 0 before the first. */
  #commitMs = 0

  /**
   * `stream`: the apply's replication stream, once started: `undefined` while its start has not
   * returned, when its first messages may already be handled (ReplicationStream.start).
   */
  constructor(
    ctx: StageContext,
    database: string,
    startFrom: bigint,
    stream: () => ReplicationStream | undefined,
  ) {
    this.#ctx = ctx
    this.#database = database
    this.#end = startFrom
    this.#stream = stream
  }

  /** The end LSN of the last transaction committed on the target. */
  get end(): bigint {
    return this.#end
  }

  /** Everything up to here is committed on the target (and confirmed, or confirmable). */
  get appliedLsn(): bigint {
    const stream = this.#known()
    const c = stream === undefined ? 0n : parseLsn(stream.confirmedLsn)
    return c > this.#end ? c : this.#end
  }

  /** The stream, once known, with any confirmation made before it passed on. */
  #known(): ReplicationStream | undefined {
    const stream = this.#stream()
    if (stream !== undefined && this.#early > 0n) {
      stream.confirm(this.#early)
      this.#early = 0n
    }
    return stream
  }

  #confirm(lsn: bigint): void {
    const stream = this.#known()
    if (stream !== undefined) stream.confirm(lsn)
    else if (lsn > this.#early) this.#early = lsn
  }

  /** A source transaction with nothing to write (empty, skipped, or before its tables' sync). */
  nothingWritten(endLsn: bigint, commitTime: bigint, skipped: boolean): void {
    this.#confirm(endLsn)
    if (endLsn > this.#end) this.#end = endLsn
    if (!skipped) this.#commitMs = commitMs(commitTime)
  }

  /** The apply connection's target transaction is committed with its progress. */
  batchCommitted(done: CommittedBatch): void {
    this.#confirm(done.endLsn)
    this.#end = done.endLsn
    this.#commitMs = commitMs(done.commitTime)
    this.#emit(done.transactions, done.rows, done.endLsn, done.durationMs)
  }

  /** The eager transaction ending at `endLsn` is committed. */
  eagerCommitted(endLsn: bigint, commitTime: bigint, done: EagerCommit): void {
    this.#confirm(endLsn)
    if (endLsn > this.#end) this.#end = endLsn
    this.#commitMs = commitMs(commitTime)
    this.#emit(1, done.rows, endLsn, done.durationMs)
  }

  /** The gap to `current`; `busy`: a source or target transaction is open. */
  sample(current: bigint, retainedBytes: bigint | undefined, busy: boolean): LagSample {
    const applied = this.appliedLsn
    const received = this.#stream()?.receivedLsn ?? formatLsn(applied)
    const lagBytes = current > applied ? current - applied : 0n
    // everything received is applied: the bytes left are WAL the server has not decoded for us
    // yet (often other databases' or nothing of ours), not a delay of our apply
    const caughtUp = applied >= parseLsn(received) && !busy
    const lagSeconds =
      lagBytes === 0n || caughtUp || this.#commitMs === 0
        ? 0
        : Math.max(0, (Date.now() - this.#commitMs) / 1000)
    return {
      database: this.#database,
      lagBytes,
      lagSeconds,
      receivedLsn: received,
      appliedLsn: formatLsn(applied),
      retainedBytes,
    }
  }

  #emit(transactions: number, rows: number, endLsn: bigint, durationMs: number): void {
    this.#ctx.emit('apply:batch', {
      taskId: this.#ctx.taskId,
      database: this.#database,
      transactions,
      rows,
      commitLsn: formatLsn(endLsn),
      durationMs,
    })
  }
}

function commitMs(commitTime: bigint): number {
  return Number(commitTime / 1000n) + PG_EPOCH_MS
}
