/**
 * The plans of the relations seen in one apply's stream, built from its Relation messages against
 * the target table as it is now, with whether the target observes the order of each plan's changes.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { RelationMessage } from '../wal/pgoutput-messages.js'
import { readSourceColumns } from '../catalog/column-names.js'
import type { ApplyMapping } from './apply-mapping.js'
import type { ChangeMerger } from './change-merger.js'
import { readOrderObserved } from './order-observers.js'
import { RelationPlan, ddlDetected } from './relation-plan.js'
import { readTargetTable } from './target-table.js'

/** One apply's relation plans, by source relation oid. */
export class RelationPlans {
  readonly #source: pg.Client
  readonly #target: pg.Client
  readonly #writer: ChangeMerger
  readonly #mapping: ApplyMapping
  readonly #plans = new Map<number, RelationPlan>()
  /** Whether the target observes the order of a plan's changes (order-observers.ts). */
  readonly #observed = new WeakMap<RelationPlan, boolean>()

  constructor(source: pg.Client, target: pg.Client, writer: ChangeMerger, mapping: ApplyMapping) {
    this.#source = source
    this.#target = target
    this.#writer = writer
    this.#mapping = mapping
  }

  get(oid: number): RelationPlan | undefined {
    return this.#plans.get(oid)
  }

  /** The plan of a relation a change names: its Relation message came first. */
  require(oid: number): RelationPlan {
    const plan = this.#plans.get(oid)
    if (plan === undefined) {
      throw new PgferryError(
        'PGFERRY_WAL_PROTOCOL',
        `a change of relation ${oid} came before its Relation message`,
      )
    }
    return plan
  }

  observed(plan: RelationPlan): boolean {
    return this.#observed.get(plan) !== false
  }

  /**
   * A Relation message: the first of a table in this stream, or a table's columns changed on the
   * source. Either way the plan is built against the target table as it is now, so a DDL the user
   * has applied to the target too (the fix `ddlDetected` names) lets the stream go on; rows queued
   * under the previous plan are written with it first.
   */
  async relation(m: RelationMessage): Promise<void> {
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
}
