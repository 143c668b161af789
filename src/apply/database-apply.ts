/**
 * The incremental apply of one source database: its replication stream, its apply connection on
 * the target, its progress, and its lag.
 *
 * Correctness rules (ARCHITECTURE.md, correctness core):
 * - Consecutive source transactions share one target transaction, which also records the last
 *   one's end LSN (apply-progress.ts); only after that COMMIT is the end LSN confirmed to the
 *   source, so the slot never moves past what the target holds.
 * - Restart reads that progress and starts the stream there; a transaction whose commit is below
 *   it (the server may resend from the slot's older confirmed_flush_lsn) is skipped whole, as are
 *   a re-copied table's changes its copy holds (source-transaction.ts).
 * - Within that target transaction, changes are merged per table and key and leave as set-based
 *   statements (change-merger.ts), only where nothing on the target can observe their order; the
 *   merged changes are written before the progress record and COMMIT, so the rule above holds.
 * - Streamed (large, in-progress) transactions are spooled by the transport and delivered at
 *   Stream Commit without a Begin; every message of such a replay carries the Stream Commit's
 *   position, which is the transaction's end LSN, so it decides skipping as a Begin would.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { LoadedDatabase, LoadedTable } from '../fullload/load-progress.js'
import type { ReplicationStream } from '../wal/replication-stream.js'
import { MessageType, type PgoutputMessage } from '../wal/pgoutput-messages.js'
import { formatLsn } from '../wal/lsn.js'
import type { ApplyProgress } from './apply-progress.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import { ChangeWriter } from './change-writer.js'
import { ChangeMerger } from './change-merger.js'
import { ApplyBatch } from './apply-batch.js'
import { prepareApplySession } from './apply-session.js'
import { slotLostError } from './wal-retention.js'
import { EagerApply, type EagerHost } from './eager-apply.js'
import { EAGER_LOCK_TIMEOUT_MS, EagerTransaction } from './eager-transaction.js'
import { RelationPlans } from './relation-plans.js'
import { RowWatches } from './row-watch.js'
import { SourceTransaction } from './source-transaction.js'
import { AppliedPosition, type LagSample } from './applied-position.js'
import { ApplyMonitor, type MonitoredApply } from './apply-monitor.js'
import { ApplyQueue } from './apply-queue.js'
import { openDatabaseApply, type ApplyParts } from './open-database-apply.js'
import { applyFailure, streamEndFailure } from './apply-failure.js'

export type { LagSample } from './applied-position.js'

/** The running apply of one source database. */
export class DatabaseApply {
  readonly database: string
  readonly targetDatabase: string
  /** Settles when the apply has ended: fulfilled after `stop()`, rejected on failure. */
  readonly done: Promise<void>

  readonly #ctx: StageContext
  readonly #source: pg.Client
  readonly #target: pg.Client
  #repl: pg.Client
  readonly #progress: ApplyProgress
  readonly #plans: RelationPlans
  readonly #eagerTx: EagerTransaction
  readonly #eager: EagerApply
  #stream!: ReplicationStream
  /** The source transaction being received. */
  readonly #txn: SourceTransaction
  /** The open target transaction. */
  readonly #batch: ApplyBatch
  readonly #queue: ApplyQueue
  readonly #position: AppliedPosition
  readonly #monitor: ApplyMonitor
  readonly #slot: string
  /** Verify's watches on the rows this apply receives (row-watch.ts). */
  readonly watches = new RowWatches()

  #stopping = false
  #ended = false
  #failure: PgferryError | undefined
  #resolveDone!: () => void
  #rejectDone!: (error: unknown) => void

  private constructor(p: ApplyParts) {
    const { ctx, loaded, options } = p
    this.#ctx = ctx
    this.#slot = p.slot.name
    this.database = loaded.sourceDatabase
    this.targetDatabase = loaded.targetDatabase
    this.#source = p.source
    this.#target = p.target
    this.#repl = p.opened.client
    this.#progress = p.progress
    const writer = new ChangeWriter(p.target)
    const merger = new ChangeMerger(writer)
    this.#batch = new ApplyBatch(p.target, p.progress, merger, writer, options)
    this.#plans = new RelationPlans(p.source, p.target, merger, p.mapping)
    this.#txn = new SourceTransaction(p.startFrom, this.#plans, this.#batch, merger)
    this.#position = new AppliedPosition(ctx, this.database, p.startFrom, () => this.#stream)
    const publication = loaded.publication ?? ''
    this.#monitor = new ApplyMonitor(
      ctx,
      this.#monitored(),
      p.source,
      p.slot,
      p.mapping,
      publication,
      options,
    )
    this.#eagerTx = new EagerTransaction(async () => {
      const c = await ctx.connect('target', { database: loaded.targetDatabase, keep: p.keep })
      await prepareApplySession(ctx, c, loaded.targetDatabase)
      await c.query(`SET lock_timeout = ${EAGER_LOCK_TIMEOUT_MS}`)
      return c
    })
    this.#eager = new EagerApply(this.#eagerHost(p.startFrom, p.applyPid), this.#eagerTx)
    this.#queue = new ApplyQueue(options.idleCommitMs, {
      ready: () => !this.#txn.open && this.#batch.open && !this.#stopping,
      failed: () => this.#failure !== undefined,
      commit: () => this.#flush(),
      watch: (work) => this.#eager.watch(work),
      fail: (error) => this.#fail(error),
    })
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve
      this.#rejectDone = reject
    })
    this.done.catch(() => undefined)
  }

  /**
   * Connect, set up progress, and start the stream from the durable progress (or the full load's
   * consistent point). `keep`: connections outlive the calling stage (closed by `task.close()`).
   */
  static start(
    ctx: StageContext,
    loaded: LoadedDatabase,
    tables: readonly LoadedTable[],
    options: ResolvedApplyOptions,
    keep: boolean,
  ): Promise<DatabaseApply> {
    return openDatabaseApply(ctx, loaded, tables, options, keep, async (parts) => {
      const apply = new DatabaseApply(parts)
      apply.#stream = await parts.opened.start(apply.#onMessage, apply.#eager.replayStreamed)
      apply.#repl = parts.opened.client
      apply.#stream.done.then(
        () => apply.#streamEnded(undefined),
        (error: unknown) => apply.#streamEnded(error),
      )
      apply.#monitor.start()
      return apply
    })
  }

  /** Everything up to here is committed on the target (and confirmed, or confirmable). */
  get appliedLsn(): bigint {
    return this.#position.appliedLsn
  }

  get ended(): boolean {
    return this.#ended
  }

  /** The failure that ended the apply, if any. */
  get failure(): PgferryError | undefined {
    return this.#failure
  }

  /** The gap now: source WAL position minus applied position, and the age of the last commit. */
  lag(): Promise<LagSample> {
    return this.#monitor.lag()
  }

  /** Ask the server for a keepalive now: its position lets an idle stream confirm it is caught up. */
  poke(): void {
    if (!this.#ended) this.#stream.sendStatus(true)
  }

  /** Stop: commit what is complete, confirm it, end the stream. Keeps the slot. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stopping && !this.#ended) {
      this.#stopping = true
      this.#clearTimers()
      try {
        await this.#queue.quiesce()
        if (this.#failure === undefined && this.#batch.open) {
          if (this.#txn.open) await this.#rollback()
          else await this.#flush()
        }
        await this.#stream.stop()
      } catch (error) {
        // a task being closed ends these connections under us: what is not committed is rolled
        // back by the server and replayed on restart, so that is no failure
        if (!this.#ctx.signal.aborted) this.#failure ??= applyFailure(error, this.database)
      }
      await this.#end()
    }
    await this.done
  }

  #onMessage = (message: PgoutputMessage, walStart: bigint): Promise<void> | undefined => {
    if (this.#stopping || this.#failure !== undefined) return undefined
    this.watches.observe(message)
    return this.#queue.run(() => this.#handle(message, walStart))
  }

  #handle(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    if (
      this.#eager.inBlock ||
      m.type === MessageType.StreamStart ||
      m.type === MessageType.StreamAbort ||
      (m.type === MessageType.StreamCommit && this.#eager.follows(m))
    ) {
      return this.#eager.handle(m, walStart)
    }
    const yielding = this.#eager.yieldTo(m)
    if (yielding !== undefined) return yielding.then(() => this.#applyWatched(m, walStart))
    return this.#applyWatched(m, walStart)
  }

  #applyWatched(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    const work = this.#handleApply(m, walStart)
    return work === undefined ? undefined : this.#eager.watch(work)
  }

  /** A message for the apply connection. */
  #handleApply(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    switch (m.type) {
      case MessageType.Begin:
        this.#txn.begin(m.finalLsn)
        return undefined
      case MessageType.Relation:
        return this.#plans.relation(m)
      case MessageType.Insert:
      case MessageType.Update:
      case MessageType.Delete:
      case MessageType.Truncate:
        return this.#txn.change(m, walStart)
      case MessageType.Commit:
        return this.#commit(m.endLsn, m.commitTime)
      case MessageType.StreamCommit:
        if (this.#txn.open && this.#txn.lsn !== m.endLsn) {
          throw new PgferryError(
            'PGFERRY_INTERNAL',
            `a streamed transaction was replayed at ${formatLsn(this.#txn.lsn)} but commits at ${formatLsn(m.endLsn)}`,
          )
        }
        return this.#commit(m.endLsn, m.commitTime)
      default:
        // Origin, Type, logical messages: nothing to write
        return undefined
    }
  }

  #commit(endLsn: bigint, commitTime: bigint): Promise<void> | undefined {
    const skipped = this.#txn.end()
    if (!this.#batch.open) {
      // nothing of it to write (empty, skipped, or only tables still before their sync LSN)
      this.#position.nothingWritten(endLsn, commitTime, skipped)
      return undefined
    }
    if (this.#batch.endTransaction(endLsn, commitTime)) return this.#flush()
    this.#queue.armIdle()
    return undefined
  }

  /** Commit the open target transaction with its progress, then confirm to the source. */
  async #flush(): Promise<void> {
    this.#queue.clearIdle()
    if (!this.#batch.open) return
    this.#position.batchCommitted(await this.#batch.commit(this.#position.end))
  }

  async #rollback(): Promise<void> {
    await this.#batch.rollback(this.#position.end)
  }

  #eagerHost(startFrom: bigint, applyPid: number): EagerHost {
    return {
      startFrom,
      applyPid,
      progress: this.#progress,
      plan: (oid) => this.#plans.get(oid),
      observed: (plan) => this.#plans.observed(plan),
      relation: (m) => this.#plans.relation(m),
      commitApply: () => this.#flush(),
      applied: () => this.#position.end,
      committed: (endLsn, commitTime, done) =>
        this.#position.eagerCommitted(endLsn, commitTime, done),
      fellBack: (xid, reason) =>
        this.#ctx.warn(
          'PGFERRY_APPLY_EAGER_FALLBACK',
          `${this.database}: streamed transaction ${xid} is applied at its commit, not while it streams: ${reason}`,
        ),
    }
  }

  #monitored(): MonitoredApply {
    const ended = (): boolean => this.#ended
    return {
      database: this.database,
      get ended() {
        return ended()
      },
      poke: () => this.poke(),
      sample: (current, retainedBytes) =>
        this.#position.sample(current, retainedBytes, this.#txn.open || this.#batch.open),
      fail: (error) => this.#fail(error),
    }
  }

  /** A failure outside the stream's own handler (the idle commit, the monitor). */
  #fail(error: unknown): void {
    if (this.#failure !== undefined || this.#stopping) return
    this.#failure = applyFailure(error, this.database)
    void this.#stream.stop().catch(() => undefined)
  }

  #streamEnded(error: unknown): void {
    if (this.#stopping || this.#ended) return
    this.#failure ??= streamEndFailure(error, this.database)
    this.#stopping = true
    this.#clearTimers()
    void (async () => {
      await this.#queue.quiesce()
      if (this.#batch.open) await this.#rollback().catch(() => undefined)
      // PostgreSQL ends the walsender of a slot it invalidates: name that cause, not the symptom
      if (await this.#monitor.slotLost()) this.#failure = slotLostError(this.#slot, this.database)
      await this.#end()
    })()
  }

  #clearTimers(): void {
    this.#monitor.stop()
    this.#queue.clearIdle()
  }

  /** Release the origin and close this apply's connections; settle `done`. */
  async #end(): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    await this.#eagerTx.close()
    await this.#progress.release().catch(() => undefined)
    await Promise.all(
      [this.#repl, this.#target, this.#source].map((c) => c.end().catch(() => undefined)),
    )
    if (this.#failure === undefined) this.#resolveDone()
    else this.#rejectDone(this.#failure)
  }
}
