/**
 * The WAL a task's slot holds back on the source (ARCHITECTURE.md): reported as `wal:retained` with
 * every lag sample, warned about once it passes a threshold (again after it fell below), and a
 * slot PostgreSQL invalidated (`wal_status = 'lost'`) turned into the error that says the task
 * must load again: the WAL with changes the target still needs is gone.
 *
 * The default threshold: where the source caps what a slot may hold (`max_slot_wal_keep_size`),
 * 10 % of that cap, so there is time to act before PostgreSQL invalidates the slot; elsewhere
 * 5 GiB, a size that starts to matter for most disks.
 */
import { PgferryError } from '../errors.js'
import type { SlotRetention } from '../catalog/slot-retention.js'
import type { StageContext } from '../model/stage.js'

/** The threshold where the source sets no `max_slot_wal_keep_size`: 5 GiB. */
export const DEFAULT_WAL_RETAINED_WARN_BYTES = 5 * 1024 ** 3
/** Percent of `max_slot_wal_keep_size` above which retention is warned about by default. */
export const WAL_RETAINED_WARN_PERCENT = 10n

/** The warning threshold: the caller's, else 10 % of the source's cap, else 5 GiB. */
export function walRetainedThreshold(option: number | undefined, cap: bigint | undefined): bigint {
  if (option !== undefined) return BigInt(Math.floor(option))
  if (cap !== undefined) return (cap * WAL_RETAINED_WARN_PERCENT) / 100n
  return BigInt(DEFAULT_WAL_RETAINED_WARN_BYTES)
}

/** The error of a slot PostgreSQL invalidated. */
export function slotLostError(slot: string, database: string): PgferryError {
  return new PgferryError(
    'PGFERRY_WAL_SLOT_LOST',
    `replication slot ${slot} of database ${database} was invalidated by PostgreSQL (wal_status 'lost': it held back more WAL than max_slot_wal_keep_size allows), so changes the target still needs are gone; the task must load again`,
    {
      fix: `delete this task (task.delete() drops the slot and publication) and run a new full+incremental task; keep the sync running, or raise max_slot_wal_keep_size on the source, so the new slot does not fall that far behind`,
      cliFix: `pgferry delete <task id> (drops the slot and publication), then pgferry run a new full+incremental task; keep the sync running, or raise max_slot_wal_keep_size on the source, so the new slot does not fall that far behind`,
    },
  )
}

const gib = (n: bigint): string => `${(Number(n) / 1024 ** 3).toFixed(2)} GiB`

/** One database's slot: its retention reported, warned about, and checked for loss. */
export class WalRetention {
  readonly #ctx: StageContext
  readonly #database: string
  readonly #slot: string
  readonly #threshold: bigint
  #warned = false

  constructor(ctx: StageContext, database: string, slot: string, threshold: bigint) {
    this.#ctx = ctx
    this.#database = database
    this.#slot = slot
    this.#threshold = threshold
  }

  /** Emit `wal:retained` for a sample and warn past the threshold; a lost slot's error. */
  report(sample: SlotRetention): PgferryError | undefined {
    if (sample.walStatus === 'lost') return slotLostError(this.#slot, this.#database)
    if (!sample.exists || sample.retainedBytes === undefined) return undefined
    const retained = sample.retainedBytes
    this.#ctx.emit('wal:retained', {
      taskId: this.#ctx.taskId,
      database: this.#database,
      slot: this.#slot,
      // numbers, not bigints, so the event goes through JSON.stringify (events.ts)
      retainedBytes: Number(retained),
      thresholdBytes: Number(this.#threshold),
      ...(sample.walStatus !== undefined ? { walStatus: sample.walStatus } : {}),
      ...(sample.safeWalSize !== undefined ? { safeWalSize: Number(sample.safeWalSize) } : {}),
    })
    if (retained <= this.#threshold) {
      this.#warned = false
      return undefined
    }
    if (!this.#warned) {
      this.#warned = true
      const safe =
        sample.safeWalSize === undefined
          ? ''
          : `; ${gib(sample.safeWalSize)} more WAL and PostgreSQL invalidates it`
      this.#ctx.warn(
        'PGFERRY_WAL_RETAINED_HIGH',
        `replication slot ${this.#slot} of database ${this.#database} holds back ${gib(retained)} of WAL on the source (threshold ${gib(this.#threshold)})${safe}: keep the sync running and catching up, or complete or delete the task`,
        this.#database,
      )
    }
    return undefined
  }
}
