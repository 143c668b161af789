/**
 * The source transaction an apply is receiving: whether it is on the target already (skipped
 * whole), and its changes handed to the writer inside the open target transaction. A table
 * re-copied after a crash of the full load skips the changes its copy already holds (its sync
 * LSN, PostgreSQL's tablesync rule).
 */
import { MessageType, type PgoutputMessage } from '../wal/pgoutput-messages.js'
import type { ApplyBatch } from './apply-batch.js'
import type { ChangeMerger } from './change-merger.js'
import type { RelationPlan } from './relation-plan.js'
import type { RelationPlans } from './relation-plans.js'

/** The source transaction being received. */
export class SourceTransaction {
  /** Transactions ending at or below this are on the target already. */
  readonly #startFrom: bigint
  readonly #plans: RelationPlans
  readonly #batch: ApplyBatch
  readonly #writer: ChangeMerger
  #open = false
  #skip = false
  #streamed = false
  /** Begin's final (commit) LSN, or for a streamed replay its end LSN. */
  #lsn = 0n

  constructor(startFrom: bigint, plans: RelationPlans, batch: ApplyBatch, writer: ChangeMerger) {
    this.#startFrom = startFrom
    this.#plans = plans
    this.#batch = batch
    this.#writer = writer
  }

  /** Between a Begin (or a streamed replay's first change) and its Commit. */
  get open(): boolean {
    return this.#open
  }

  get lsn(): bigint {
    return this.#lsn
  }

  begin(finalLsn: bigint): void {
    this.#open = true
    this.#streamed = false
    this.#lsn = finalLsn
    this.#skip = finalLsn < this.#startFrom
  }

  /** The transaction is committed on the source; whether it was skipped. */
  end(): boolean {
    const skipped = this.#skip
    this.#open = false
    this.#skip = false
    this.#streamed = false
    return skipped
  }

  change(m: PgoutputMessage, walStart: bigint): Promise<void> | undefined {
    if (!this.#open) {
      // a streamed transaction's replay: no Begin, every message at its end LSN
      this.#open = true
      this.#streamed = true
      this.#lsn = walStart
      this.#skip = walStart <= this.#startFrom
    }
    if (this.#skip) return undefined
    if (!this.#batch.open) return this.#batch.ensureOpen().then(() => this.#write(m))
    return this.#write(m)
  }

  #write(m: PgoutputMessage): Promise<void> | undefined {
    switch (m.type) {
      case MessageType.Insert: {
        const plan = this.#plans.require(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.insert(plan, m.newTuple)
      }
      case MessageType.Update: {
        const plan = this.#plans.require(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.update(plan, m)
      }
      case MessageType.Delete: {
        const plan = this.#plans.require(m.relation.relationOid)
        if (this.#beforeSync(plan)) return
        this.#batch.addRow()
        return this.#writer.delete(plan, m)
      }
      case MessageType.Truncate: {
        const plans: RelationPlan[] = []
        for (const r of m.relations) {
          const plan = this.#plans.require(r.relationOid)
          if (!this.#beforeSync(plan)) plans.push(plan)
        }
        this.#batch.addRow()
        return this.#writer.truncate(plans, m.cascade, m.restartIdentity)
      }
      default:
    }
  }

  /** The table's copy already holds this transaction's effects. */
  #beforeSync(plan: RelationPlan): boolean {
    if (plan.syncLsn === 0n) return false
    // a Begin gives the commit record's start (< sync: in the copy); a streamed replay its end
    return this.#streamed ? this.#lsn <= plan.syncLsn : this.#lsn < plan.syncLsn
  }
}
