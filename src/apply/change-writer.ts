/**
 * Writes decoded changes to the target, inside the apply transaction the caller opened.
 *
 * - INSERT: every published column (an insert never carries unchanged-TOAST values).
 * - UPDATE: the SET list leaves out columns sent as unchanged TOAST ('u' is not NULL); the row is
 *   found by the old key ('K'), the whole old row ('O', REPLICA IDENTITY FULL), or the new tuple's
 *   key columns when the key did not change (no old image).
 * - DELETE: by the key, or for REPLICA IDENTITY FULL by every old column (text-compared, so types
 *   without an equality operator work) and one row per change, through its (tableoid, ctid).
 * - TRUNCATE: the listed tables in one statement, with the source's CASCADE / RESTART IDENTITY.
 * - Every UPDATE, DELETE and TRUNCATE names its table with ONLY (`RelationPlan.only`): an
 *   inheritance child is a published table of its own, so its rows change only by its own changes.
 * - Every change kind is sent set-based, in runs of one kind, table and shape (ARCHITECTURE.md):
 *   INSERTs as one COPY per run (insert-run-copy.ts; a short run or a table with a rule as
 *   `INSERT … SELECT … FROM unnest($n::text[])`); UPDATEs with the same columns sent as
 *   `UPDATE … FROM unnest(…)` joined by the old key (the new row's key when the key was kept), a
 *   key seen twice (as an old or a new key) or a new key that is an old key of the run ending it
 *   (change-run.ts); DELETEs by key as `DELETE … WHERE key = ANY(…)` (delete-run-sql.ts); DELETEs
 *   and UPDATEs of a REPLICA IDENTITY FULL table by their old images as a multiset
 *   (full-run-sql.ts), an old image that is a new image of the run ending it. Where the rows'
 *   order can matter (a unique column set), a run that fails on a unique violation is replayed
 *   row by row in the source's order (guarded-run.ts). Any other change flushes the run first.
 * - A GENERATED ALWAYS identity column is set only where its value changed, relaxed for that
 *   transaction (update-run-sql.ts, identity-relaxer.ts); generated columns are never published
 *   and the target computes them.
 * - A run's statement is sent by run-sender.ts, which may leave it running while the next run is
 *   built (statement-pipe.ts); `flush` waits for it.
 * A row that an UPDATE or DELETE does not find means the target diverged: an error, never ignored.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import {
  columnText,
  type DeleteMessage,
  type TupleData,
  type UpdateMessage,
} from '../wal/pgoutput-messages.js'
import type { RelationPlan } from './relation-plan.js'
import { IdentityRelaxer } from './identity-relaxer.js'
import { fullDelete, fullUpdate, type FullChange } from './full-change.js'
import { rowUpdateSql } from './row-update-sql.js'
import {
  EMPTY,
  keyValues,
  newKeyId,
  pushValue,
  RUN_BYTES,
  updateSets,
  type ChangeRun,
} from './change-run.js'
import { RunSender } from './run-sender.js'
import { missingRow } from './write-errors.js'

/** Rows in one set-based statement. */
export const DEFAULT_RUN_ROWS = 2000
/**
 * Rows in one set-based statement on a REPLICA IDENTITY FULL table, as a multiple of the run rows:
 * each such statement scans the whole table when no index narrows it (no key to look rows up by), so fewer, longer runs; 5, not 10: a 20,000-row run of old images and new values held in V8 old space took Node past 200 MB RSS on 1M-row FULL UPDATEs (benchmarks/results/bulk-memory-2026-12-02-full-runs.txt).
 */
const FULL_RUN_FACTOR = 5

/** Writes changes with one client. */
export class ChangeWriter {
  readonly #runRows: number
  #run: ChangeRun | undefined
  readonly #identities: IdentityRelaxer
  readonly #sender: RunSender
  /** Rows written since the last `takeRows()`. */
  #rows = 0
  /** Counts `discard`s: a change waiting behind a run's send is dropped with its transaction. */
  #generation = 0

  constructor(client: pg.Client, runRows = DEFAULT_RUN_ROWS) {
    this.#runRows = runRows
    this.#identities = new IdentityRelaxer(client)
    this.#sender = new RunSender(client, this.#identities)
  }

  /** Put back GENERATED ALWAYS on the identities relaxed in this transaction; before COMMIT. */
  async restoreIdentities(): Promise<void> {
    await this.#sender.settle()
    await this.#identities.restore()
  }

  /**
   * Wait for the statement in flight; throws its error. Before one's own query on this connection
   * (a catalog read): never queued behind it (pg deprecates that), never failing for its error.
   */
  async settle(): Promise<void> {
    await this.#sender.settle()
  }

  /** Wait until no statement of this writer runs, whatever its outcome: before a ROLLBACK. */
  async quiesce(): Promise<void> {
    await this.#sender.settle().catch(() => undefined)
  }

  /** The transaction was rolled back: its queued rows and relaxed identities are gone with it. */
  discard(): void {
    this.#generation++
    this.#run = undefined
    this.#sender.drop()
    this.#identities.clear()
    this.#rows = 0
  }

  /** Rows written (or queued) since the last call. */
  takeRows(): number {
    const n = this.#rows
    this.#rows = 0
    return n
  }

  /**
   * Add an INSERT to its run. The change methods return a promise only when a run is sent (it
   * ended or is full) or a change goes row by row: a change that only joins a run costs no promise
   * and no turn of the event loop (issue 11: several per row were most of Node's own CPU on bulk
   * transactions, with their garbage). An error comes as a rejected promise, as from the async
   * methods these were.
   */
  insert(plan: RelationPlan, tuple: TupleData): Promise<void> | undefined {
    this.#rows++
    try {
      return this.#insert(plan, tuple)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #insert(plan: RelationPlan, tuple: TupleData): Promise<void> | undefined {
    const written = plan.written
    const n = written.length
    const run = this.#open('I', plan, 'IN', EMPTY, EMPTY, n)
    if (run === undefined) return this.#sendThen(() => this.#insert(plan, tuple))
    for (let k = 0; k < n; k++) {
      const i = written[k] as number
      const v = columnText(tuple, i)
      if (v === undefined) {
        throw new PgferryError(
          'PGFERRY_APPLY_FAILED',
          `an INSERT into ${plan.label} carries an unchanged-TOAST column (${plan.columns[i] ?? i})`,
        )
      }
      pushValue(run, k, v)
    }
    return this.#added(run)
  }

  /**
   * The run to add a change to: the current one if it has the same kind, table and shape, has not
   * seen `id` and holds no `moved` as an old key; undefined if the current one must be sent first
   * (`#sendThen`); else a new one with `width` columns.
   */
  #open(
    kind: ChangeRun['kind'],
    plan: RelationPlan,
    shape: string,
    sets: readonly number[],
    match: readonly number[],
    width: number,
    id?: string | number,
    moved?: string,
  ): ChangeRun | undefined {
    const run = this.#run
    if (run !== undefined) {
      const fits =
        run.kind === kind &&
        run.plan === plan &&
        run.shape === shape &&
        (id === undefined || run.seen === undefined || !run.seen.has(id)) &&
        (moved === undefined || run.olds === undefined || !run.olds.has(moved))
      return fits ? run : undefined
    }
    const columns: (string | null)[][] = new Array<(string | null)[]>(width)
    for (let i = 0; i < width; i++) columns[i] = []
    const seen =
      kind === 'U' || (kind === 'F' && sets.length > 0) ? new Set<string | number>() : undefined
    const opened: ChangeRun = { kind, plan, sets, shape, match, columns, rows: 0, bytes: 0, seen }
    if (moved !== undefined) opened.olds = new Set<string>()
    this.#run = opened
    return opened
  }

  /** A change was added to `run`: send it once it is long enough, in rows or in bytes. */
  #added(run: ChangeRun): Promise<void> | undefined {
    run.rows++
    const limit = run.kind === 'F' ? this.#runRows * FULL_RUN_FACTOR : this.#runRows
    return run.rows >= limit || run.bytes >= RUN_BYTES ? this.#send() : undefined
  }

  /** Send the pending run, if any, without waiting for its statement. */
  #send(): Promise<void> | undefined {
    const run = this.#run
    if (run === undefined) return undefined
    this.#run = undefined
    return this.#sender.send(run)
  }

  /** Send the pending run, then add `next`, the change it could not take (`#open`). */
  #sendThen(next: () => Promise<void> | undefined): Promise<void> {
    // a change of a transaction rolled back (`discard`) meanwhile never joins the next one's run
    const generation = this.#generation
    return (this.#send() ?? Promise.resolve()).then(() =>
      generation === this.#generation ? next() : undefined,
    )
  }

  /** Send the pending run, if any, and wait for it. Call before anything that must see its rows. */
  async flush(): Promise<void> {
    await this.#send()
    await this.#sender.settle()
  }

  /** Add an UPDATE to its run, or apply it row by row (see `insert`). */
  update(plan: RelationPlan, m: UpdateMessage): Promise<void> | undefined {
    this.#rows++
    try {
      return this.#update(plan, m)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #update(plan: RelationPlan, m: UpdateMessage): Promise<void> | undefined {
    const tuple = m.newTuple
    if (plan.relation.replicaIdentity === 'f' && m.oldKind === 'O' && m.oldTuple !== undefined) {
      const change = fullUpdate(plan, m.oldTuple, tuple)
      if (change === undefined) return undefined // only unchanged values: the row stays as it is
      if (change.shape.match.length > 0) return this.#queueFull(plan, change)
    }
    const { mask, sets, values } = updateSets(plan, m)
    const before = m.oldTuple
    const keyKept = m.oldKind === undefined
    if (sets.length === 0) return undefined // only the key and unchanged TOAST: the row stays
    if (plan.relation.replicaIdentity !== 'f') {
      if (keyKept) {
        const key = keyValues(plan, tuple, 'UPDATE')
        return this.#queueUpdate(plan, mask, sets, values, key, undefined)
      }
      if (m.oldKind === 'K' && before !== undefined) {
        const key = keyValues(plan, before, 'UPDATE')
        return this.#queueUpdate(plan, `${mask}:K`, sets, values, key, newKeyId(plan, tuple, key))
      }
    }
    return this.#updateRow(plan, m, mask, sets, values)
  }

  /** An UPDATE that no run takes (no old column to match by, or no key sent): one statement. */
  async #updateRow(
    plan: RelationPlan,
    m: UpdateMessage,
    shape: string,
    sets: readonly number[],
    values: (string | null)[],
  ): Promise<void> {
    await this.flush()
    const { statement: st, where, full } = rowUpdateSql(plan, m, shape, sets)
    for (const v of where) if (v !== null && v !== undefined) values.push(v)
    if (plan.setsAlwaysIdentity(sets)) await this.#identities.relax(plan)
    const found = await this.#sender.exec(plan, 'UPDATE', st.name, st.text, values)
    if (found === 0)
      throw missingRow(plan, 'UPDATE', full ? undefined : (where as (string | null)[]))
  }

  /**
   * Add an UPDATE by key to the run of its table and shape (set-based). `key`: the
   * row's key before the update; `moved`: its key after, when the update changed it.
   */
  #queueUpdate(
    plan: RelationPlan,
    shape: string,
    sets: number[],
    values: (string | null)[],
    key: (string | null)[],
    moved: string | undefined,
  ): Promise<void> | undefined {
    const id = key.length === 1 ? (key[0] as string) : key.join('\u0000')
    const width = sets.length + key.length
    const run = this.#open('U', plan, shape, sets, EMPTY, width, id, moved)
    if (run === undefined)
      return this.#sendThen(() => this.#queueUpdate(plan, shape, sets, values, key, moved))
    const seen = run.seen as Set<string>
    seen.add(id)
    // a later change of the row by its new key, or into its old key, ends the run (ChangeRun.olds)
    if (moved !== undefined) seen.add(moved)
    run.olds?.add(id)
    let c = 0
    for (let k = 0; k < values.length; k++) pushValue(run, c++, values[k])
    for (let k = 0; k < key.length; k++) pushValue(run, c++, key[k])
    return this.#added(run)
  }

  /** Add a FULL table's UPDATE or DELETE to its run, by its old image (`shape.match`: sent). */
  #queueFull(plan: RelationPlan, change: FullChange): Promise<void> | undefined {
    const { shape, values, image } = change
    const { sets, match } = shape
    const old = sets.length > 0 ? change.old : undefined // a DELETE's image ends no run
    const run = this.#open('F', plan, shape.shape, sets, match, sets.length + match.length, old)
    if (run === undefined) return this.#sendThen(() => this.#queueFull(plan, change))
    // an UPDATE whose old image is this new one must find the row this one leaves: it ends the run
    if (run.seen !== undefined) run.seen.add(change.made)
    let c = 0
    for (let k = 0; k < values.length; k++) pushValue(run, c++, values[k])
    for (let k = 0; k < match.length; k++) pushValue(run, c++, image[match[k] as number])
    return this.#added(run)
  }

  /** Add a DELETE to its run, or apply it row by row (see `insert`). */
  delete(plan: RelationPlan, m: DeleteMessage): Promise<void> | undefined {
    this.#rows++
    try {
      if (m.oldKind !== 'O') return this.#queueDelete(plan, keyValues(plan, m.oldTuple, 'DELETE'))
      const change = fullDelete(plan, m.oldTuple)
      if (change.shape.match.length > 0) return this.#queueFull(plan, change)
      return this.#deleteAny(plan)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #queueDelete(plan: RelationPlan, key: (string | null)[]): Promise<void> | undefined {
    const run = this.#open('D', plan, 'DN', EMPTY, EMPTY, key.length)
    if (run === undefined) return this.#sendThen(() => this.#queueDelete(plan, key))
    for (let k = 0; k < key.length; k++) pushValue(run, k, key[k])
    return this.#added(run)
  }

  /** A DELETE with no old column to match by (a table without a written column): any one row. */
  async #deleteAny(plan: RelationPlan): Promise<void> {
    await this.flush()
    const st = plan.statement(
      'DO',
      () =>
        `DELETE FROM ${plan.only} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${plan.only} LIMIT 1)`,
    )
    const found = await this.#sender.exec(plan, 'DELETE', st.name, st.text, [])
    if (found === 0) throw missingRow(plan, 'DELETE')
  }

  async truncate(
    plans: readonly RelationPlan[],
    cascade: boolean,
    restart: boolean,
  ): Promise<void> {
    await this.flush()
    if (plans.length > 0) await this.#sender.truncate(plans, cascade, restart)
  }
}
