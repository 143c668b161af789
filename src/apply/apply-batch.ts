/**
 * The open apply transaction on the target: consecutive source transactions share it until a
 * limit (rows, transactions, time) is reached. Its commit carries the progress record of the last
 * source transaction in it (apply-progress.ts), so the two can never disagree after a crash.
 */
import type pg from 'pg'
import type { ApplyProgress } from './apply-progress.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import type { ChangeWriter } from './change-writer.js'
import type { ChangeMerger } from './change-merger.js'

/** What a commit made durable. */
export interface CommittedBatch {
  readonly endLsn: bigint
  readonly commitTime: bigint
  readonly transactions: number
  readonly rows: number
  readonly durationMs: number
}

/** The target transaction of one apply connection. */
export class ApplyBatch {
  readonly #client: pg.Client
  readonly #progress: ApplyProgress
  /** Holds and merges the group's changes (change-merger.ts) in front of `#identities`' writer. */
  readonly #writer: ChangeMerger
  readonly #identities: ChangeWriter
  readonly #options: ResolvedApplyOptions
  #open = false
  #transactions = 0
  #rows = 0
  #started = 0
  #endLsn = 0n
  #commitTime = 0n

  constructor(
    client: pg.Client,
    progress: ApplyProgress,
    writer: ChangeMerger,
    identities: ChangeWriter,
    options: ResolvedApplyOptions,
  ) {
    this.#client = client
    this.#progress = progress
    this.#writer = writer
    this.#identities = identities
    this.#options = options
  }

  /** A target transaction is open. */
  get open(): boolean {
    return this.#open
  }

  /** Open the target transaction if it is not. */
  async ensureOpen(): Promise<void> {
    if (this.#open) return
    await this.#client.query('BEGIN')
    this.#open = true
    this.#transactions = 0
    this.#rows = 0
    this.#started = Date.now()
  }

  /** Count a change written in it. */
  addRow(): void {
    this.#rows++
  }

  /** A source transaction ended inside it; true when a limit says to commit now. */
  endTransaction(endLsn: bigint, commitTime: bigint): boolean {
    this.#endLsn = endLsn
    this.#commitTime = commitTime
    this.#transactions++
    const o = this.#options
    return (
      this.#rows >= o.batchRows ||
      this.#transactions >= o.batchTransactions ||
      Date.now() - this.#started >= o.batchMs
    )
  }

  /**
   * Commit with the progress of the last source transaction in it. `applied` is what is committed
   * before: a COMMIT that fails wrote an abort record carrying the origin position, which is put
   * back to it.
   */
  async commit(applied: bigint): Promise<CommittedBatch> {
    await this.#writer.flush()
    await this.#identities.restoreIdentities()
    // rows are the source changes counted by addRow (merged ones count each); the writer's own
    // count (rows it wrote) is reset with the transaction
    this.#identities.takeRows()
    this.#open = false
    try {
      await this.#progress.commit(this.#endLsn, this.#commitTime)
    } catch (error) {
      await this.#progress.restore(applied).catch(() => undefined)
      throw error
    }
    return {
      endLsn: this.#endLsn,
      commitTime: this.#commitTime,
      transactions: this.#transactions,
      rows: this.#rows,
      durationMs: Date.now() - this.#started,
    }
  }

  /** Roll back (a source transaction was cut short); the origin is put back to `applied`. */
  async rollback(applied: bigint): Promise<void> {
    this.#open = false
    await this.#identities.quiesce()
    this.#writer.discard()
    await this.#client.query('ROLLBACK')
    await this.#progress.restore(applied)
  }
}
