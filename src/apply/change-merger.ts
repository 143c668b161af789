/**
 * Merges the changes of one apply transaction (a group of source transactions) per table and per
 * key before ChangeWriter writes them (issue 11).
 *
 * Measured under pgbench TPC-B (2 cores, 16 → 16): the apply sent one statement per change, because
 * every source transaction touches four tables in turn and a change of another table ends the
 * writer's set-based run; Node sat idle 86 % of the time waiting for those round trips, and the
 * target fell minutes behind. Most of those changes hit the same few hot rows (tellers, branches)
 * again and again. Held here instead, N updates of one row become one update with the final values,
 * and each table's changes leave as a few set-based statements per group, not per change.
 *
 * What may be merged, and why it is exact:
 * - Only INSERTs and key-kept UPDATEs of a table with a replica identity key (not FULL), whose
 *   non-key columns are in no immediate unique or exclusion index: with only the key unique, rows
 *   with different keys cannot conflict, so their order within the table cannot change the outcome
 *   (a unique column whose value can change hands needs the source's order, issue 10).
 * - Per key, the later change's sent columns win; a column sent as unchanged TOAST keeps what an
 *   earlier change of the group set, or stays untouched on the target (ARCHITECTURE.md). An INSERT
 *   followed by UPDATEs stays one INSERT with the merged values.
 * - Changes of different tables are reordered, which nothing on the target can observe when the
 *   session runs with `session_replication_role = replica` (FK and ordinary triggers do not fire)
 *   and the table has no ENABLE ALWAYS / ENABLE REPLICA trigger or rule (`observed`, read by
 *   order-observers.ts). A table that fails any of these is written in the source's order: every
 *   change that cannot be merged (a DELETE, a key change, REPLICA IDENTITY FULL, TRUNCATE, a change
 *   of such a table) first writes out everything held, so it lands after all that came before it.
 * - At most `maxRows` keys, or MERGE_BYTES of their row images, are held (memory stays bounded for
 *   a large transaction, and for wide rows): past that, the held changes are written out, which is
 *   always allowed.
 * - Writing a change as it comes is always allowed too. When the held limit is reached with one
 *   table held and not one of its keys changed twice (a bulk statement: 1M distinct rows), holding
 *   its changes only costs (a copy, a map entry and a sort per row: 3 of Node's 8 CPU-s per 1M-row
 *   UPDATE, bench:merger: 2.9 -> 0.75, benchmarks/results/merger-bypass-2026-12-03.txt); that table's changes then go straight
 *   to the writer, whose set-based runs take consecutive changes of one table as they come, until
 *   the next flush (COMMIT, a plan change).
 */
import {
  columnText,
  MessageType,
  TupleData,
  TupleKind,
  type DeleteMessage,
  type UpdateMessage,
} from '../wal/pgoutput-messages.js'
import type { ChangeWriter } from './change-writer.js'
import type { RelationPlan } from './relation-plan.js'

/** Keys held before they are written out (all tables together). */
export const DEFAULT_MERGE_ROWS = 10_000
/** Bytes of held row images before they are written out (10,000 rows of 100 kB would be 1 GB). */
export const MERGE_BYTES = 4 * 1024 * 1024

/** The net change of one key in this group. */
interface Entry {
  /** The row did not exist before the group: written as an INSERT. */
  readonly insert: boolean
  /** The merged row image (owns its bytes). */
  tuple: TupleData
}

/** The held changes of one table, by key, in first-seen order. */
interface TableChanges {
  readonly plan: RelationPlan
  readonly rows: Map<string, Entry>
  /** Bytes of the held row images. */
  bytes: number
  /** Changes merged into a key already held. */
  hits: number
}

/** Merges changes in front of one ChangeWriter. */
export class ChangeMerger {
  readonly #writer: ChangeWriter
  readonly #maxRows: number
  /** Whether a plan's changes may be merged (set by `register`; unknown plans are not). */
  readonly #mergeable = new WeakMap<RelationPlan, boolean>()
  /** Plans whose order the target observes (unknown plans are taken as observed). */
  readonly #unobserved = new WeakSet<RelationPlan>()
  readonly #tables = new Map<RelationPlan, TableChanges>()
  /** Tables written as they come until the next flush (see the file comment). */
  readonly #bypass = new Set<RelationPlan>()
  #held = 0
  #heldBytes = 0

  constructor(writer: ChangeWriter, maxRows = DEFAULT_MERGE_ROWS) {
    this.#writer = writer
    this.#maxRows = maxRows
  }

  /**
   * A new plan: `observed` says something on the target sees the order of its changes (a trigger
   * or rule that fires on the apply connection, or FK checks when the replica role is not set).
   */
  register(plan: RelationPlan, observed: boolean): void {
    this.#mergeable.set(plan, !observed && mergeableShape(plan))
    if (!observed) this.#unobserved.add(plan)
  }

  /** Keys held now. */
  get held(): number {
    return this.#held
  }

  insert(plan: RelationPlan, tuple: TupleData): Promise<void> | undefined {
    if (this.#mergeable.get(plan) !== true || this.#bypass.has(plan))
      return this.#direct(plan, () => this.#writer.insert(plan, tuple))
    const id = keyId(plan, tuple)
    if (id === undefined) return this.#direct(plan, () => this.#writer.insert(plan, tuple))
    const table = this.#tableOf(plan)
    const known = table.rows.get(id)
    if (known !== undefined) {
      // the key is held already (it was inserted or updated in this group): the source could only
      // insert it again after a DELETE, which is never held; let the writer report what it finds
      return this.#direct(plan, () => this.#writer.insert(plan, tuple))
    }
    const copy = tuple.copy()
    table.rows.set(id, { insert: true, tuple: copy })
    this.#held++
    return this.#grown(table, copy.buffer.length)
  }

  update(plan: RelationPlan, m: UpdateMessage): Promise<void> | undefined {
    // an old image means the key changed (or FULL): the row must be found by its old values
    if (m.oldKind !== undefined || this.#mergeable.get(plan) !== true || this.#bypass.has(plan))
      return this.#direct(plan, () => this.#writer.update(plan, m))
    const id = keyId(plan, m.newTuple)
    if (id === undefined) return this.#direct(plan, () => this.#writer.update(plan, m))
    const table = this.#tableOf(plan)
    const known = table.rows.get(id)
    if (known === undefined) {
      const copy = m.newTuple.copy()
      table.rows.set(id, { insert: false, tuple: copy })
      this.#held++
      return this.#grown(table, copy.buffer.length)
    }
    table.hits++
    const was = known.tuple.buffer.length
    known.tuple = mergeTuples(known.tuple, m.newTuple, plan.columns.length)
    return this.#grown(table, known.tuple.buffer.length - was)
  }

  delete(plan: RelationPlan, m: DeleteMessage): Promise<void> | undefined {
    return this.#direct(plan, () => this.#writer.delete(plan, m))
  }

  async truncate(
    plans: readonly RelationPlan[],
    cascade: boolean,
    restart: boolean,
  ): Promise<void> {
    // a TRUNCATE (CASCADE) reaches tables by the target's FKs: everything held goes first
    await this.#direct(undefined, () => this.#writer.truncate(plans, cascade, restart))
  }

  /** Write out everything held, and the writer's pending run. Before COMMIT or a plan change. */
  async flush(): Promise<void> {
    this.#bypass.clear()
    await this.#writeHeld()
    await this.#writer.flush()
  }

  /** Wait for the writer's statement in flight (held changes stay held): before a catalog read on its connection. */
  async settle(): Promise<void> {
    await this.#writer.settle()
  }

  /** The transaction was rolled back: what is held is gone with it. */
  discard(): void {
    this.#bypass.clear()
    this.#tables.clear()
    this.#held = 0
    this.#heldBytes = 0
    this.#writer.discard()
  }

  /**
   * A change written as it comes: after the held changes of its table, and after everything held
   * when the target observes its order (`plan` undefined: a change that reaches several tables).
   * Another table's held changes may follow it when neither is observed, like any other reordering
   * across tables here (pgbench's keyless history rows would otherwise end every merge).
   */
  #direct(
    plan: RelationPlan | undefined,
    write: () => Promise<void> | undefined,
  ): Promise<void> | undefined {
    const held = this.#writeHeld(
      plan !== undefined && this.#unobserved.has(plan) ? plan : undefined,
    )
    // nothing held (a bulk statement bypassing the merge): no promise for the change (ChangeWriter)
    return held === undefined ? write() : held.then(write)
  }

  #tableOf(plan: RelationPlan): TableChanges {
    let t = this.#tables.get(plan)
    if (t === undefined) {
      t = { plan, rows: new Map(), bytes: 0, hits: 0 }
      this.#tables.set(plan, t)
    }
    return t
  }

  /** The held images of `table` grew by `bytes`: write everything out past a limit. */
  #grown(table: TableChanges, bytes: number): Promise<void> | undefined {
    table.bytes += bytes
    this.#heldBytes += bytes
    if (this.#held < this.#maxRows && this.#heldBytes < MERGE_BYTES) return undefined
    // one table held, and merging found nothing to merge: a bulk statement
    if (this.#tables.size === 1 && table.hits === 0) this.#bypass.add(table.plan)
    return this.#writeHeld()
  }

  /**
   * Hand the held changes to the writer table by table: the inserts, then the updates ordered by
   * the columns they send, so each becomes a few set-based runs (one shape per statement).
   */
  #writeHeld(only?: RelationPlan): Promise<void> | undefined {
    if (this.#held === 0 || (only !== undefined && !this.#tables.has(only))) return undefined
    return this.#writeTables(only)
  }

  async #writeTables(only: RelationPlan | undefined): Promise<void> {
    let tables: TableChanges[]
    if (only === undefined) {
      tables = [...this.#tables.values()]
      this.#tables.clear()
      this.#held = 0
      this.#heldBytes = 0
    } else {
      const t = this.#tables.get(only)
      if (t === undefined) return
      tables = [t]
      this.#tables.delete(only)
      this.#held -= t.rows.size
      this.#heldBytes -= t.bytes
    }
    for (const { plan, rows } of tables) {
      const updates: { shape: string; tuple: TupleData }[] = []
      for (const e of rows.values()) {
        if (e.insert) {
          const p = this.#writer.insert(plan, e.tuple)
          if (p !== undefined) await p
        } else updates.push({ shape: shapeOf(e.tuple), tuple: e.tuple })
      }
      updates.sort((a, b) => (a.shape < b.shape ? -1 : a.shape > b.shape ? 1 : 0))
      for (const u of updates) {
        const p = this.#writer.update(plan, {
          type: MessageType.Update,
          relation: plan.relation,
          oldKind: undefined,
          oldTuple: undefined,
          newTuple: u.tuple,
          xid: undefined,
        })
        if (p !== undefined) await p
      }
    }
  }
}

/** A table whose changes can be merged by key (see the file comment). */
function mergeableShape(plan: RelationPlan): boolean {
  if (plan.keys.length === 0 || plan.relation.replicaIdentity === 'f') return false
  const others: number[] = []
  for (const i of plan.written) if (!plan.isKey(i)) others.push(i)
  return !plan.orderMatters(others)
}

/** The key of a row image as one string; undefined when a key column was not sent. */
function keyId(plan: RelationPlan, tuple: TupleData): string | undefined {
  const keys = plan.keys
  let id = ''
  for (let k = 0; k < keys.length; k++) {
    const v = columnText(tuple, keys[k] as number)
    if (v === undefined || v === null) return undefined
    // length-prefixed: no two different keys give the same string
    id += k === 0 ? v : `\u0000${v.length}:${v}`
  }
  return keys.length === 1 ? id : `${keys.length}:${id}`
}

/** Which columns a row image sends ('s') or leaves as unchanged TOAST ('u'). */
function shapeOf(tuple: TupleData): string {
  let s = ''
  for (let i = 0; i < tuple.length; i++) s += tuple.isUnchanged(i) ? 'u' : 's'
  return s
}

/** `earlier` overlaid with the columns `later` sent: an unchanged-TOAST column keeps `earlier`'s. */
function mergeTuples(earlier: TupleData, later: TupleData, width: number): TupleData {
  const n = Math.max(width, earlier.length, later.length)
  const parts: Buffer[] = []
  const layout: number[] = new Array<number>(n * 3)
  let offset = 0
  for (let i = 0; i < n; i++) {
    const from = i < later.length && !later.isUnchanged(i) ? later : earlier
    const kind = i < from.length ? from.kind(i) : TupleKind.Unchanged
    const bytes = kind === TupleKind.Text || kind === TupleKind.Binary ? from.bytes(i) : null
    layout[i * 3] = kind
    layout[i * 3 + 1] = bytes === null ? 0 : offset
    layout[i * 3 + 2] = bytes === null ? 0 : bytes.length
    if (bytes !== null) {
      parts.push(bytes)
      offset += bytes.length
    }
  }
  return new TupleData(Buffer.concat(parts, offset), n, layout)
}
