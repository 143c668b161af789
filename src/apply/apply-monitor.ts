/**
 * The watch kept on one apply from the source side, on a timer: its lag (sampled and emitted as
 * `wal:lag`), the WAL its slot holds back (warned of, and failed on once PostgreSQL lost the slot),
 * and tables created on the source after the full load.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import { parseLsn } from '../wal/lsn.js'
import { readSlotRetention, type SlotRetention } from '../catalog/slot-retention.js'
import type { ApplyMapping } from './apply-mapping.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import type { LagSample } from './applied-position.js'
import type { WalRetention } from './wal-retention.js'

/** What the monitor needs of its apply. */
export interface MonitoredApply {
  readonly database: string
  readonly ended: boolean
  /** Ask the server for a keepalive now. */
  poke(): void
  /** The gap to the source's `current` WAL position. */
  sample(current: bigint, retainedBytes: bigint | undefined): LagSample
  /** End the apply with `error`. */
  fail(error: unknown): void
}

/** The apply's slot on the source. */
export interface MonitoredSlot {
  readonly name: string
  readonly serverVersion: number
  readonly retention: WalRetention
}

/** The lag, slot and new-table watch of one apply. */
export class ApplyMonitor {
  readonly #ctx: StageContext
  readonly #apply: MonitoredApply
  readonly #source: pg.Client
  readonly #slot: MonitoredSlot
  readonly #mapping: ApplyMapping
  readonly #publication: string
  readonly #options: ResolvedApplyOptions
  #timer: NodeJS.Timeout | undefined
  #lastNewTableCheck = Date.now()
  #lastSample: LagSample | undefined
  #lastRetention: SlotRetention | undefined
  readonly #warnedNewTables = new Set<string>()

  constructor(
    ctx: StageContext,
    apply: MonitoredApply,
    source: pg.Client,
    slot: MonitoredSlot,
    mapping: ApplyMapping,
    publication: string,
    options: ResolvedApplyOptions,
  ) {
    this.#ctx = ctx
    this.#apply = apply
    this.#source = source
    this.#slot = slot
    this.#mapping = mapping
    this.#publication = publication
    this.#options = options
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#options.lagIntervalMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The gap now: source WAL position minus applied position, and the age of the last commit. */
  async lag(): Promise<LagSample> {
    if (this.#apply.ended) return this.#lastSample ?? this.#apply.sample(0n, undefined)
    const r = await readSlotRetention(this.#source, this.#slot.name, this.#slot.serverVersion)
    this.#lastRetention = r
    this.#lastSample = this.#apply.sample(parseLsn(r.currentLsn), r.retainedBytes)
    return this.#lastSample
  }

  /**
   * Whether the slot is lost. The checkpointer terminates the slot's walsender first and marks the
   * slot invalidated once it is released, so a slot still `unreserved` is watched a little longer.
   */
  async slotLost(): Promise<boolean> {
    for (let i = 0; i < 50; i++) {
      const now = await readSlotRetention(
        this.#source,
        this.#slot.name,
        this.#slot.serverVersion,
      ).catch(() => undefined)
      if (now?.walStatus === 'lost') return true
      if (now?.walStatus !== 'unreserved') return false
      await new Promise((r) => setTimeout(r, 100))
    }
    return false
  }

  #tick(): void {
    if (this.#apply.ended) return
    this.#apply.poke()
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
            : this.#slot.retention.report(this.#lastRetention)
        if (lost !== undefined) this.#apply.fail(lost)
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
    const database = this.#apply.database
    for (const { name, message } of await this.#mapping.unpublishedTables(this.#source)) {
      if (this.#warnedNewTables.has(name)) continue
      this.#warnedNewTables.add(name)
      this.#ctx.warn('PGFERRY_APPLY_NEW_TABLE', message, `${database}.${name}`)
    }
    const partitions = await this.#mapping.unpublishedPartitions(this.#source, this.#publication)
    if (partitions.length === 0) return
    this.#apply.fail(
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
}
