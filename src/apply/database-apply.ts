/**
 * The incremental apply of one source database: its replication stream, its apply connection on
 * the target, its progress, and its lag.
 *
 * Correctness rules (ARCHITECTURE.md, correctness core):
 * - Consecutive source transactions share one target transaction, which also records the last
 *   one's end LSN (apply-progress.ts); only after that COMMIT is the end LSN confirmed to the
 *   source, so the slot never moves past what the target holds.
 * - Restart reads that progress and starts the stream there; a transaction whose commit is below
 *   it (the server may resend from the slot's older confirmed_flush_lsn) is skipped whole.
 * - A table re-copied after a crash of the full load has a sync LSN: its changes from transactions
 *   that committed before it are already in the copy (PostgreSQL's tablesync rule).
 * - Within that target transaction, changes are merged per table and key and leave as set-based
 *   statements (change-merger.ts), only where nothing on the target can observe their order; the
 *   merged changes are written before the progress record and COMMIT, so the rule above holds.
 * - Streamed (large, in-progress) transactions are spooled by the transport and delivered at
 *   Stream Commit without a Begin; every message of such a replay carries the Stream Commit's
 *   position, which is the transaction's end LSN, so it decides skipping as a Begin would.
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { LoadedDatabase, LoadedTable } from '../fullload/load-progress.js'
import type { ReplicationStream } from '../wal/replication-stream.js'
import { openApplyStream } from './open-apply-stream.js'
import {
  MessageType,
  type PgoutputMessage,
  type RelationMessage,
} from '../wal/pgoutput-messages.js'
import { formatLsn, parseLsn } from '../wal/lsn.js'
import { ApplyProgress } from './apply-progress.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import { ChangeWriter } from './change-writer.js'
import { ChangeMerger } from './change-merger.js'
import { readOrderObserved } from './order-observers.js'
import { ApplyBatch } from './apply-batch.js'
import { RelationPlan, ddlDetected } from './relation-plan.js'
import { readTargetTable } from './target-table.js'
import { readSourceColumns } from '../catalog/column-names.js'
import { readApplyMapping, type ApplyMapping } from './apply-mapping.js'
import { prepareApplySession } from './apply-session.js'
import { versionNum } from '../catalog/server-version.js'
import {
  readSlotRetention,
  readSlotWalLimit,
  type SlotRetention,
} from '../catalog/slot-retention.js'
import { WalRetention, slotLostError, walRetainedThreshold } from './wal-retention.js'
import { EagerApply, type EagerHost } from './eager-apply.js'
import { EAGER_LOCK_TIMEOUT_MS, EagerTransaction, type EagerCommit } from './eager-transaction.js'

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

/** The running apply of one source database. */
export class DatabaseApply {
  readonly database: string
  readonly targetDatabase: string
  /** Settles when the apply has ended: fulfilled after `stop()`, rejected on failure. */
  readonly done: Promise<void>

  readonly #ctx: StageContext
  readonly #options: ResolvedApplyOptions
  readonly #source: pg.Client
  readonly #target: pg.Client
  #repl: pg.Client
  readonly #progress: ApplyProgress
  readonly #writer: ChangeMerger
  readonly #mapping: ApplyMapping
  readonly #publication: string
  readonly #plans = new Map<number, RelationPlan>()
  /** Whether the target observes the order of a plan's changes (order-observers.ts). */
  readonly #observed = new WeakMap<RelationPlan, boolean>()
  readonly #eagerTx: EagerTransaction
  readonly #eager: EagerApply
  /** Transactions ending at or below this are on the target already. */
  readonly #startFrom: bigint
  #stream!: ReplicationStream

  // the source transaction being received
  #inTxn = false
  #txnSkip = false
  #txnStreamed = false
  /** Begin's final (commit) LSN, or for a streamed replay its end LSN. */
  #txnLsn = 0n

  // the open target transaction
  readonly #batch: ApplyBatch
  #idleTimer: NodeJS.Timeout | undefined
  #tail: Promise<void> | undefined
  #current: Promise<void> | undefined

  // progress, for lag
  #appliedEnd: bigint
  /** Unix ms of the last applied source commit; 0 before the first. */
  #appliedCommitMs = 0
  #lagTimer: NodeJS.Timeout | undefined
  #lastNewTableCheck = Date.now()
  #lastSample: LagSample | undefined
  #lastRetention: SlotRetention | undefined
  readonly #slot: string
  readonly #serverVersion: number
  readonly #retention: WalRetention
  readonly #warnedNewTables = new Set<string>()

  #stopping = false
  #ended = false
  #failure: PgferryError | undefined
  #resolveDone!: () => void
  #rejectDone!: (error: unknown) => void

  private constructor(
    ctx: StageContext,
    loaded: LoadedDatabase,
    options: ResolvedApplyOptions,
    clients: { source: pg.Client; target: pg.Client; repl: pg.Client; applyPid: number },
    progress: ApplyProgress,
    mapping: ApplyMapping,
    startFrom: bigint,
    slot: { name: string; serverVersion: number; retention: WalRetention; keep: boolean },
  ) {
    this.#ctx = ctx
    this.#slot = slot.name
    this.#serverVersion = slot.serverVersion
    this.#retention = slot.retention
    this.database = loaded.sourceDatabase
    this.targetDatabase = loaded.targetDatabase
    this.#options = options
    this.#source = clients.source
    this.#target = clients.target
    this.#repl = clients.repl
    this.#progress = progress
    this.#mapping = mapping
    this.#publication = loaded.publication ?? ''
    const writer = new ChangeWriter(clients.target)
    this.#writer = new ChangeMerger(writer)
    this.#batch = new ApplyBatch(clients.target, progress, this.#writer, writer, options)
    this.#startFrom = startFrom
    this.#appliedEnd = startFrom
    this.#eagerTx = new EagerTransaction(async () => {
      const c = await ctx.connect('target', { database: loaded.targetDatabase, keep: slot.keep })
      await prepareApplySession(ctx, c, loaded.targetDatabase)
      await c.query(`SET lock_timeout = ${EAGER_LOCK_TIMEOUT_MS}`)
      return c
    })
    this.#eager = new EagerApply(this.#eagerHost(clients.applyPid), this.#eagerTx)
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
  static async start(
    ctx: StageContext,
    loaded: LoadedDatabase,
    tables: readonly LoadedTable[],
    options: ResolvedApplyOptions,
    keep: boolean,
  ): Promise<DatabaseApply> {
    if (loaded.slot === null || loaded.publication === null || loaded.consistentPoint === null) {
      throw new PgferryError(
        'PGFERRY_WAL_SLOT_MISSING',
        `database ${loaded.sourceDatabase} has no replication slot from the full load`,
        { fix: 'run the full load of this full+incremental task first' },
      )
    }
    const db = loaded.sourceDatabase
    const consistentPoint = loaded.consistentPoint
    const slot = loaded.slot
    const publication = loaded.publication
    const source = await ctx.connect('source', { database: db, keep })
    const target = await ctx.connect('target', { database: loaded.targetDatabase, keep })
    let repl: pg.Client | undefined
    try {
      // a slot PostgreSQL invalidated cannot stream: say so before anything else
      const serverVersion = await versionNum(source)
      const retention = new WalRetention(
        ctx,
        db,
        slot,
        walRetainedThreshold(options.walRetainedWarnBytes, await readSlotWalLimit(source)),
      )
      const lost = retention.report(await readSlotRetention(source, slot, serverVersion))
      if (lost !== undefined) throw lost
      await prepareApplySession(ctx, target, loaded.targetDatabase)
      const pid = await target.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)
      const applyPid = pid.rows[0]?.pid ?? 0
      const mapping = await readApplyMapping(ctx, source, db, tables)
      const progress = await ApplyProgress.open(target, ctx.taskId, db, (reason) =>
        ctx.warn('PGFERRY_APPLY_PROGRESS_TABLE', `${db}: ${reason}`),
      )
      const recorded = await progress.read()
      const consistent = parseLsn(consistentPoint)
      const startFrom = recorded > consistent ? recorded : consistent
      const opened = await openApplyStream(ctx, slot, publication, db, startFrom, keep, options)
      repl = opened.client
      const apply = new DatabaseApply(
        ctx,
        loaded,
        options,
        { source, target, repl, applyPid },
        progress,
        mapping,
        startFrom,
        { name: slot, serverVersion, retention, keep },
      )
      apply.#stream = await opened.start(apply.#onMessage, apply.#eager.replayStreamed)
      repl = opened.client
      apply.#repl = repl
      apply.#stream.done.then(
        () => apply.#streamEnded(undefined),
        (error: unknown) => apply.#streamEnded(error),
      )
      apply.#lagTimer = setInterval(() => apply.#lagTick(), options.lagIntervalMs)
      apply.#lagTimer.unref()
      return apply
    } catch (error) {
      // a half-started apply must not keep the origin session (a retry would wait for it)
      await Promise.all([source, target, repl].map((c) => c?.end().catch(() => undefined)))
      throw error
    }
  }

  /** Everything up to here is committed on the target (and confirmed, or confirmable). */
  get appliedLsn(): bigint {
    const c = parseLsn(this.#stream.confirmedLsn)
    return c > this.#appliedEnd ? c : this.#appliedEnd
  }

  get ended(): boolean {
    return this.#ended
  }

  /** The failure that ended the apply, if any. */
  get failure(): PgferryError | undefined {
    return this.#failure
  }

  /** The gap now: source WAL position minus applied position, and the age of the last commit. */
  async lag(): Promise<LagSample> {
    if (this.#ended) return this.#lastSample ?? this.#sample(0n, undefined)
    const r = await readSlotRetention(this.#source, this.#slot, this.#serverVersion)
    this.#lastRetention = r
    this.#lastSample = this.#sample(parseLsn(r.currentLsn), r.retainedBytes)
    return this.#lastSample
  }

  #sample(current: bigint, retainedBytes: bigint | undefined): LagSample {
    const applied = this.appliedLsn
    const lagBytes = current > applied ? current - applied : 0n
    // everything received is applied: the bytes left are WAL the server has not decoded for us
    // yet (often other databases' or nothing of ours), not a delay of our apply
    const caughtUp =
      applied >= parseLsn(this.#stream.receivedLsn) && !this.#inTxn && !this.#batch.open
    const lagSeconds =
      lagBytes === 0n || caughtUp || this.#appliedCommitMs === 0
        ? 0
        : Math.max(0, (Date.now() - this.#appliedCommitMs) / 1000)
    return {
      database: this.database,
      lagBytes,
      lagSeconds,
      receivedLsn: this.#stream.receivedLsn,
      appliedLsn: formatLsn(applied),
      retainedBytes,
    }
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
        await this.#quiesce()
        if (this.#failure === undefined && this.#batch.open) {
          if (this.#inTxn) await this.#rollback()
          else await this.#flush()
        }
        await this.#stream.stop()
      } catch (error) {
        // a task being closed ends these connections under us: what is not committed is rolled
        // back by the server and replayed on restart, so that is no failure
        if (!this.#ctx.signal.aborted) this.#failure ??= wrap(error, this.database)
      }
      await this.#end()
    }
    await this.done
  }

  #onMessage = (message: PgoutputMessage, walStart: bigint): Promise<void> | undefined => {
    if (this.#stopping || this.#failure !== undefined) return undefined
    const tail = this.#tail
    let p: Promise<void> | undefined
    try {
      // a change the merger only holds returns no promise, so the stream reads on without a pause
      // (issue 11: many small transactions are a few messages each)
      p =
        tail === undefined
          ? this.#handle(message, walStart)
          : tail.then(() => this.#handle(message, walStart))
    } catch (error) {
      p = Promise.reject(error)
    }
    if (p === undefined) return undefined
    this.#current = p
    return p
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
    const work = this.#handleApply(m, walStart)
    return work === undefined ? undefined : this.#eager.watch(work)
  }

  /** A message for the apply connection. */
  #handleApply(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    switch (m.type) {
      case MessageType.Begin:
        this.#inTxn = true
        this.#txnStreamed = false
        this.#txnLsn = m.finalLsn
        this.#txnSkip = m.finalLsn < this.#startFrom
        return undefined
      case MessageType.Relation:
        return this.#relation(m)
      case MessageType.Insert:
      case MessageType.Update:
      case MessageType.Delete:
      case MessageType.Truncate:
        return this.#change(m, walStart)
      case MessageType.Commit:
        return this.#commit(m.endLsn, m.commitTime)
      case MessageType.StreamCommit:
        if (this.#inTxn && this.#txnLsn !== m.endLsn) {
          throw new PgferryError(
            'PGFERRY_INTERNAL',
            `a streamed transaction was replayed at ${formatLsn(this.#txnLsn)} but commits at ${formatLsn(m.endLsn)}`,
          )
        }
        return this.#commit(m.endLsn, m.commitTime)
      default:
        // Origin, Type, logical messages: nothing to write
        return undefined
    }
  }

  /**
   * A Relation message: the first of a table in this stream, or a table's columns changed on the
   * source. Either way the plan is built against the target table as it is now, so a DDL the user
   * has applied to the target too (the fix `ddlDetected` names) lets the stream go on; rows queued
   * under the previous plan are written with it first.
   */
  async #relation(m: RelationMessage): Promise<void> {
    const known = this.#plans.get(m.relationOid)
    if (known !== undefined && known.sameShape(m)) return
    // the catalog reads below share the apply connection with the writer's statement in flight:
    // wait for it, so its own error (not "current transaction is aborted") is the one raised
    await this.#writer.settle()
    const target = this.#mapping.targetOf(m.relationOid, m.schema)
    const table = await readTargetTable(this.#target, target.schema, m.name)
    if (table === undefined) {
      throw ddlDetected(
        `${m.schema}.${m.name}`,
        `there is no table ${target.schema}.${m.name} on the target (renamed or created on the source?)`,
      )
    }
    const sourceNow = RelationPlan.columnsDiffer(m, table)
      ? await readSourceColumns(this.#source, m.relationOid)
      : undefined
    const plan = new RelationPlan(m, target.schema, table, target.syncLsn, sourceNow)
    const observed = await readOrderObserved(this.#target, target.schema, m.name)
    this.#writer.register(plan, observed)
    this.#observed.set(plan, observed)
    // changes held under the previous plan are written with it, before the table may change shape
    if (known !== undefined) await this.#writer.flush()
    this.#plans.set(m.relationOid, plan)
  }

  #change(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    if (!this.#inTxn) {
      // a streamed transaction's replay: no Begin, every message at its end LSN
      this.#inTxn = true
      this.#txnStreamed = true
      this.#txnLsn = walStart
      this.#txnSkip = walStart <= this.#startFrom
    }
    if (this.#txnSkip) return undefined
    if (!this.#batch.open) return this.#batch.ensureOpen().then(() => this.#write(m))
    return this.#write(m)
  }

  #write(m: PgoutputMessage): Promise<void> | undefined {
    switch (m.type) {
      case MessageType.Insert: {
        const plan = this.#plan(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.insert(plan, m.newTuple)
      }
      case MessageType.Update: {
        const plan = this.#plan(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.update(plan, m)
      }
      case MessageType.Delete: {
        const plan = this.#plan(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.delete(plan, m)
      }
      case MessageType.Truncate: {
        const plans: RelationPlan[] = []
        for (const r of m.relations) {
          const plan = this.#plan(r.relationOid)
          if (!this.#beforeSync(plan)) plans.push(plan)
        }
        this.#batch.addRow()
        return this.#writer.truncate(plans, m.cascade, m.restartIdentity)
      }
      default:
    }
  }

  #plan(oid: number): RelationPlan {
    const plan = this.#plans.get(oid)
    if (plan === undefined) {
      throw new PgferryError(
        'PGFERRY_WAL_PROTOCOL',
        `a change of relation ${oid} came before its Relation message`,
      )
    }
    return plan
  }

  /** The table's copy already holds this transaction's effects. */
  #beforeSync(plan: RelationPlan): boolean {
    if (plan.syncLsn === 0n) return false
    // a Begin gives the commit record's start (< sync: in the copy); a streamed replay its end
    return this.#txnStreamed ? this.#txnLsn <= plan.syncLsn : this.#txnLsn < plan.syncLsn
  }

  #commit(endLsn: bigint, commitTime: bigint): Promise<void> | undefined {
    const skipped = this.#txnSkip
    this.#inTxn = false
    this.#txnSkip = false
    this.#txnStreamed = false
    if (!this.#batch.open) {
      // nothing of it to write (empty, skipped, or only tables still before their sync LSN)
      this.#stream.confirm(endLsn)
      if (endLsn > this.#appliedEnd) this.#appliedEnd = endLsn
      if (!skipped) this.#appliedCommitMs = commitMs(commitTime)
      return undefined
    }
    if (this.#batch.endTransaction(endLsn, commitTime)) return this.#flush()
    this.#armIdle()
    return undefined
  }

  /** Commit the open target transaction with its progress, then confirm to the source. */
  async #flush(): Promise<void> {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    if (!this.#batch.open) return
    const done = await this.#batch.commit(this.#appliedEnd)
    this.#stream.confirm(done.endLsn)
    this.#appliedEnd = done.endLsn
    this.#appliedCommitMs = commitMs(done.commitTime)
    this.#ctx.emit('apply:batch', {
      taskId: this.#ctx.taskId,
      database: this.database,
      transactions: done.transactions,
      rows: done.rows,
      commitLsn: formatLsn(done.endLsn),
      durationMs: done.durationMs,
    })
  }

  #eagerHost(applyPid: number): EagerHost {
    return {
      startFrom: this.#startFrom,
      applyPid,
      progress: this.#progress,
      plan: (oid) => this.#plans.get(oid),
      observed: (plan) => this.#observed.get(plan) !== false,
      relation: (m) => this.#relation(m),
      commitApply: () => this.#flush(),
      applied: () => this.#appliedEnd,
      committed: (endLsn, commitTime, done) => this.#eagerCommitted(endLsn, commitTime, done),
      fellBack: (xid, reason) =>
        this.#ctx.warn(
          'PGFERRY_APPLY_EAGER_FALLBACK',
          `${this.database}: streamed transaction ${xid} is applied at its commit, not while it streams: ${reason}`,
        ),
    }
  }

  #eagerCommitted(endLsn: bigint, commitTime: bigint, done: EagerCommit): void {
    this.#stream.confirm(endLsn)
    if (endLsn > this.#appliedEnd) this.#appliedEnd = endLsn
    this.#appliedCommitMs = commitMs(commitTime)
    this.#ctx.emit('apply:batch', {
      taskId: this.#ctx.taskId,
      database: this.database,
      transactions: 1,
      rows: done.rows,
      commitLsn: formatLsn(endLsn),
      durationMs: done.durationMs,
    })
  }

  async #rollback(): Promise<void> {
    await this.#batch.rollback(this.#appliedEnd)
  }

  /** Commit soon when no further source transaction comes (a quiet stream must not sit on rows). */
  #armIdle(): void {
    if (this.#idleTimer !== undefined) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      if (this.#inTxn || !this.#batch.open || this.#stopping || this.#failure !== undefined) return
      // only between messages: a message being handled finishes first
      const run = async (): Promise<void> => {
        await this.#current
        if (this.#inTxn || !this.#batch.open || this.#stopping) return
        await this.#flush()
      }
      this.#tail = this.#eager
        .watch(run())
        .catch((error: unknown) => this.#fail(error))
        .finally(() => {
          this.#tail = undefined
        })
    }, this.#options.idleCommitMs)
  }

  async #quiesce(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.#current?.catch(() => undefined)
      await this.#tail
    }
  }

  #lagTick(): void {
    if (this.#ended) return
    this.poke()
    this.lag().then(
      (sample) => {
        const { retainedBytes: _retained, ...lag } = sample
        // events carry numbers, not bigints, so they go through JSON.stringify (events.ts)
        this.#ctx.emit('wal:lag', {
          taskId: this.#ctx.taskId,
          ...lag,
          lagBytes: Number(lag.lagBytes),
        })
        const lost =
          this.#lastRetention === undefined
            ? undefined
            : this.#retention.report(this.#lastRetention)
        if (lost !== undefined) this.#fail(lost)
      },
      () => undefined,
    )
    if (Date.now() - this.#lastNewTableCheck >= this.#options.newTableCheckMs) {
      this.#lastNewTableCheck = Date.now()
      // one query at a time on the source client
      void this.#checkNewTables().catch(() => undefined)
    }
  }

  /** Warn of tables created in a migrated schema; fail on a partition the publication misses. */
  async #checkNewTables(): Promise<void> {
    for (const { name, message } of await this.#mapping.unpublishedTables(this.#source)) {
      if (this.#warnedNewTables.has(name)) continue
      this.#warnedNewTables.add(name)
      this.#ctx.warn('PGFERRY_APPLY_NEW_TABLE', message, `${this.database}.${name}`)
    }
    const partitions = await this.#mapping.unpublishedPartitions(this.#source, this.#publication)
    if (partitions.length === 0) return
    this.#fail(
      new PgferryError(
        'PGFERRY_DDL_DETECTED',
        `partition ${partitions.join(', ')} of a migrated table was created on the source after the full load and is not in publication ${this.#publication}: its rows are not replicated`,
        {
          side: 'source',
          fix: 'load the task again (delete it and create a new one): the rows written to that partition so far cannot be replayed',
        },
      ),
    )
  }

  /** A failure outside the stream's own handler (the idle commit). */
  #fail(error: unknown): void {
    if (this.#failure !== undefined || this.#stopping) return
    this.#failure = wrap(error, this.database)
    void this.#stream.stop().catch(() => undefined)
  }

  #streamEnded(error: unknown): void {
    if (this.#stopping || this.#ended) return
    this.#failure ??=
      error === undefined
        ? new PgferryError(
            'PGFERRY_CONNECTION_LOST',
            `the source ended the replication stream of ${this.database}`,
            { side: 'source' },
          )
        : wrap(error, this.database)
    this.#stopping = true
    this.#clearTimers()
    void (async () => {
      await this.#quiesce()
      if (this.#batch.open) await this.#rollback().catch(() => undefined)
      // PostgreSQL ends the walsender of a slot it invalidates: name that cause, not the symptom
      if (await this.#slotLost()) this.#failure = slotLostError(this.#slot, this.database)
      await this.#end()
    })()
  }

  /**
   * Whether the slot is lost. The checkpointer terminates the slot's walsender first and marks the
   * slot invalidated once it is released, so a slot still `unreserved` is watched a little longer.
   */
  async #slotLost(): Promise<boolean> {
    for (let i = 0; i < 50; i++) {
      const now = await readSlotRetention(this.#source, this.#slot, this.#serverVersion).catch(
        () => undefined,
      )
      if (now?.walStatus === 'lost') return true
      if (now?.walStatus !== 'unreserved') return false
      await new Promise((r) => setTimeout(r, 100))
    }
    return false
  }

  #clearTimers(): void {
    if (this.#lagTimer !== undefined) clearInterval(this.#lagTimer)
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#lagTimer = undefined
    this.#idleTimer = undefined
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

function commitMs(commitTime: bigint): number {
  return Number(commitTime / 1000n) + PG_EPOCH_MS
}

function wrap(error: unknown, database: string): PgferryError {
  if (error instanceof PgferryError) return error
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `incremental apply of ${database} failed: ${messageOf(error)}`,
    { cause: error },
  )
}
