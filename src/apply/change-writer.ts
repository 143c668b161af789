/**
 * Writes decoded changes to the target, inside the apply transaction the caller opened.
 *
 * - INSERT: every published column (an insert never carries unchanged-TOAST values).
 * - UPDATE: the SET list leaves out columns sent as unchanged TOAST ('u' is not NULL); the row is
 *   found by the old key ('K'), the whole old row ('O', REPLICA IDENTITY FULL),
 *   or the new tuple's key columns when the key did not change (no old image).
 * - DELETE: by the key, or for REPLICA IDENTITY FULL by every old column (text-compared, so types
 *   without an equality operator work) and one row per change, through its (tableoid, ctid).
 * - TRUNCATE: the listed tables in one statement, with the source's CASCADE / RESTART IDENTITY.
 * - Every UPDATE, DELETE and TRUNCATE names its table with ONLY (`RelationPlan.only`): an
 *   inheritance child is a published table of its own, so its rows change only by its own changes.
 * - Every change kind is sent set-based, in runs of one kind, table and shape (ARCHITECTURE.md):
 *   INSERTs as one `INSERT … SELECT … FROM unnest($n::text[])` per run, each column cast to its
 *   target type; UPDATEs with the same columns sent as `UPDATE … FROM unnest(…)` joined by the old
 *   key (the new row's key when the key was kept), a key seen twice (as an old or a new key) ending
 *   the run; DELETEs by key as `DELETE … WHERE key = ANY(…)` (delete-run-sql.ts); DELETEs and
 *   UPDATEs of a REPLICA IDENTITY FULL table by their old images as a multiset (full-run-sql.ts),
 *   an old image that is a new image of the run ending it. Where the rows' order can matter (a
 *   unique column set), a run that fails on a unique violation is replayed row by row in the
 *   source's order. Any other change flushes the run first, so the target sees the source's order.
 * - A GENERATED ALWAYS identity column is set only where its value changed, relaxed for that
 *   transaction (update-run-sql.ts, identity-relaxer.ts); generated columns are never published
 *   and the target computes them.
 *
 * A row that an UPDATE or DELETE does not find means the target diverged: that is an error, never
 * silently ignored.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import {
  columnText,
  type DeleteMessage,
  type TupleData,
  type UpdateMessage,
} from '../wal/pgoutput-messages.js'
import type { PlannedStatement, RelationPlan } from './relation-plan.js'
import { updateRunSql, type UpdateRunSql } from './update-run-sql.js'
import { IdentityRelaxer } from './identity-relaxer.js'
import { fullMask, fullMatch, fullRowValues } from './full-row-match.js'
import { deleteRunSql, keyUnnest } from './delete-run-sql.js'
import { fullRunSql, type FullRunLead } from './full-run-sql.js'
import { applyFailed, missingRow } from './write-errors.js'

/** SQLSTATEs of a violated unique index and exclusion constraint. */
const UNIQUE_VIOLATION = '23505'
const EXCLUSION_VIOLATION = '23P01'

/** Rows in one set-based statement. */
export const DEFAULT_RUN_ROWS = 2000

/**
 * Rows in one set-based statement on a REPLICA IDENTITY FULL table, as a multiple of the run rows:
 * each such statement scans the whole table (no key to look rows up by), so fewer, longer runs.
 */
const FULL_RUN_FACTOR = 10

/**
 * A run of changes of one table and shape, kept column-major as text: INSERTs (`I`); UPDATEs by key
 * (`U`: the SET columns' values, then the old key's); DELETEs by key (`D`: the key's); UPDATEs or
 * DELETEs by a REPLICA IDENTITY FULL old image (`F`: the SET columns' values, then the old image's).
 */
interface Run {
  kind: 'I' | 'U' | 'D' | 'F'
  plan: RelationPlan
  /** UPDATE: which columns are set, and the statement shape. */
  sets: readonly number[]
  shape: string
  /** F: the old image's columns matched. */
  match: readonly number[]
  columns: (string | null)[][]
  rows: number
  /**
   * U: keys in the run, old and new (UPDATE … FROM would apply only one of two updates of a row,
   * and finds a row by its key as it was before the statement); F UPDATE: the new images.
   */
  seen: Set<string> | undefined
}

/** Writes changes with one client. */
export class ChangeWriter {
  readonly #client: pg.Client
  readonly #runRows: number
  #run: Run | undefined
  readonly #identities: IdentityRelaxer
  /** Rows of the UPDATE run being flushed whose ALWAYS identity value differs (update-run-sql.ts). */
  #moved = 0
  /** Rows written since the last `takeRows()`. */
  #rows = 0

  constructor(client: pg.Client, runRows = DEFAULT_RUN_ROWS) {
    this.#client = client
    this.#runRows = runRows
    this.#identities = new IdentityRelaxer(client)
  }

  /** Put back GENERATED ALWAYS on the identities relaxed in this transaction; before COMMIT. */
  async restoreIdentities(): Promise<void> {
    await this.#identities.restore()
  }

  /** The transaction was rolled back: its queued rows and relaxed identities are gone with it. */
  discard(): void {
    this.#run = undefined
    this.#identities.clear()
    this.#rows = 0
  }

  /** Rows written (or queued) since the last call. */
  takeRows(): number {
    const n = this.#rows
    this.#rows = 0
    return n
  }

  async insert(plan: RelationPlan, tuple: TupleData): Promise<void> {
    this.#rows++
    const written = plan.written
    const n = written.length
    const run = await this.#open('I', plan, 'IN', EMPTY, EMPTY, n, undefined)
    for (let k = 0; k < n; k++) {
      const i = written[k] as number
      const v = columnText(tuple, i)
      if (v === undefined) {
        throw new PgferryError(
          'PGFERRY_APPLY_FAILED',
          `an INSERT into ${plan.label} carries an unchanged-TOAST column (${plan.columns[i] ?? i})`,
        )
      }
      ;(run.columns[k] as (string | null)[]).push(v)
    }
    await this.#added(run)
  }

  /**
   * The run to add a change to: the current one if it has the same kind, table and shape and has
   * not seen `id`, else (after flushing that one) a new one with `width` columns.
   */
  async #open(
    kind: Run['kind'],
    plan: RelationPlan,
    shape: string,
    sets: readonly number[],
    match: readonly number[],
    width: number,
    id: string | undefined,
  ): Promise<Run> {
    let run = this.#run
    if (
      run !== undefined &&
      (run.kind !== kind ||
        run.plan !== plan ||
        run.shape !== shape ||
        (id !== undefined && run.seen !== undefined && run.seen.has(id)))
    ) {
      await this.flush()
      run = undefined
    }
    if (run === undefined) {
      const columns: (string | null)[][] = new Array<(string | null)[]>(width)
      for (let i = 0; i < width; i++) columns[i] = []
      const seen = kind === 'U' || (kind === 'F' && sets.length > 0) ? new Set<string>() : undefined
      run = { kind, plan, sets, shape, match, columns, rows: 0, seen }
      this.#run = run
    }
    return run
  }

  /** A change was added to `run`: send it once it is long enough. */
  async #added(run: Run): Promise<void> {
    run.rows++
    const limit = run.kind === 'F' ? this.#runRows * FULL_RUN_FACTOR : this.#runRows
    if (run.rows >= limit) await this.flush()
  }

  /** Send the pending run, if any. Call before anything that must see its rows. */
  async flush(): Promise<void> {
    const run = this.#run
    if (run === undefined) return
    this.#run = undefined
    const plan = run.plan
    switch (run.kind) {
      case 'U':
        return this.#flushUpdate(run)
      case 'D': {
        const st = deleteRunSql(plan)
        const found = await this.#exec(plan, 'DELETE', st.name, st.text, run.columns)
        if (found !== run.rows)
          throw missingRow(plan, 'DELETE', undefined, [run.rows - found, run.rows])
        return
      }
      case 'F':
        return this.#flushFull(run)
      case 'I':
        return this.#flushInsert(run)
    }
  }

  async #flushInsert(run: Run): Promise<void> {
    const plan = run.plan
    const written = plan.written
    if (written.length === 0) {
      // a table with no column to send (zero columns, or generated ones only): rows all the same
      const st = plan.statement(
        'I0',
        () => `INSERT INTO ${plan.target} SELECT FROM generate_series(1, $1::int)`,
      )
      await this.#exec(plan, 'INSERT', st.name, st.text, [run.rows])
      return
    }
    const list = written.map((i) => plan.columns[i] ?? '').join(', ')
    if (run.rows === 1) {
      const values: (string | null)[] = new Array<string | null>(written.length)
      for (let k = 0; k < values.length; k++)
        values[k] = (run.columns[k] as (string | null)[])[0] ?? null
      const st = plan.statement('I1', () => {
        const params = written.map((i, k) => `$${k + 1}::${plan.types[i] ?? ''}`)
        return `INSERT INTO ${plan.target} (${list}) OVERRIDING SYSTEM VALUE VALUES (${params.join(', ')})`
      })
      await this.#exec(plan, 'INSERT', st.name, st.text, values)
      return
    }
    const st = plan.statement('IN', () => {
      const arrays = written.map((_i, k) => `$${k + 1}::text[]`)
      const names = written.map((_i, k) => `c${k}`)
      const casts = written.map((i, k) => `u.c${k}::${plan.types[i] ?? ''}`)
      return `INSERT INTO ${plan.target} (${list}) OVERRIDING SYSTEM VALUE
              SELECT ${casts.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})`
    })
    await this.#exec(plan, 'INSERT', st.name, st.text, run.columns)
  }

  async #flushUpdate(run: Run): Promise<void> {
    const plan = run.plan
    const sql = updateRunSql(plan, run.shape, run.sets)
    this.#moved = 0
    const once = (values: unknown[], raw: boolean): Promise<number> =>
      this.#update(run, sql, values, raw)
    const found =
      run.rows > 1 && plan.orderMatters(sql.others)
        ? await this.#guarded(run, 'UPDATE', once, () => {
            this.#moved = 0
          })
        : await once(run.columns, false)
    if (found !== run.rows) {
      // the rows found have their new keys now: which old key was missing is not known
      if (run.shape.endsWith(':K'))
        throw missingRow(plan, 'UPDATE', undefined, [run.rows - found, run.rows])
      throw missingRow(plan, 'UPDATE', await this.#missingKey(run))
    }
    if (this.#moved > 0 && sql.identity !== undefined) {
      // an identity value changed on the source (SET … = DEFAULT there)
      await this.#identities.relax(plan)
      await this.#exec(plan, 'UPDATE', sql.identity.name, sql.identity.text, run.columns)
    }
  }

  async #flushFull(run: Run): Promise<void> {
    const plan = run.plan
    const what = run.sets.length > 0 ? 'UPDATE' : 'DELETE'
    const st: PlannedStatement = fullRunSql(plan, run.shape, run.sets, run.match, fullLead(run))
    if (plan.setsAlwaysIdentity(run.sets)) await this.#identities.relax(plan)
    const once = async (values: unknown[], raw: boolean): Promise<number> => {
      if (!raw) return this.#exec(plan, what, st.name, st.text, values)
      const r = await this.#client.query({ name: st.name, text: st.text, values })
      return r.rowCount ?? 0
    }
    // the join of the run's images with the table's rows is estimated at a row or two (nine
    // clauses of unknown selectivity, often on a table not analyzed yet): a nested loop over them
    // compared every row with every image (measured: 5 s for 3,000 rows, 0.1 s hashed). Kept off
    // with an index too: the index narrows both sides by `= ANY` (full-run-sql.ts), which needs no
    // nested loop, while the images' join would still risk the quadratic one
    await this.#client.query('SET LOCAL enable_nestloop = off')
    const found =
      run.rows > 1 && run.sets.length > 0 && plan.orderMatters(run.sets)
        ? await this.#guarded(run, what, once, undefined)
        : await once(run.columns, false)
    await this.#client.query('SET LOCAL enable_nestloop TO DEFAULT')
    if (found !== run.rows) throw missingRow(plan, what, undefined, [run.rows - found, run.rows])
  }

  async update(plan: RelationPlan, m: UpdateMessage): Promise<void> {
    this.#rows++
    const n = plan.columns.length
    const tuple = m.newTuple
    // shape: which new columns are sent, and how the row is found
    let mask = ''
    const values: (string | null)[] = []
    const sets: number[] = []
    // without an old image the key did not change: leaving it out of SET also lets a GENERATED
    // ALWAYS identity key through (it "can only be updated to DEFAULT"); with an old image, a
    // column whose old and new text are the same is left out for the same reason
    const keyKept = m.oldKind === undefined
    const before = m.oldTuple
    const whole = m.oldKind === 'O'
    for (let i = 0; i < n; i++) {
      const v = columnText(tuple, i)
      if (
        v === undefined ||
        !plan.isWritten(i) ||
        (keyKept && plan.isKey(i)) ||
        (before !== undefined && (whole || plan.isKey(i)) && columnText(before, i) === v)
      ) {
        mask += 'u'
        continue
      }
      mask += 's'
      sets.push(i)
      values.push(v)
    }
    if (sets.length === 0) return // only the key and unchanged TOAST: the row stays as it is
    if (plan.relation.replicaIdentity !== 'f') {
      if (keyKept) {
        const key = keyValues(plan, tuple, 'UPDATE')
        await this.#queueUpdate(plan, mask, sets, values, key, undefined)
        return
      }
      if (m.oldKind === 'K' && before !== undefined) {
        const key = keyValues(plan, before, 'UPDATE')
        await this.#queueUpdate(plan, `${mask}:K`, sets, values, key, newKeyId(plan, tuple, key))
        return
      }
    } else if (whole && before !== undefined) {
      const image = fullRowValues(plan, before)
      if (image.some((v) => v !== undefined)) {
        await this.#queueFull(plan, `F${mask}:${presence(image)}`, sets, values, image)
        return
      }
    }
    await this.flush()
    const old = m.oldTuple
    const full = m.oldKind === 'O' && old !== undefined
    let whereValues: (string | null | undefined)[]
    if (full) {
      whereValues = fullRowValues(plan, old)
      mask += `:O${fullMask(whereValues)}`
    } else {
      const source = m.oldKind === 'K' && old !== undefined ? old : tuple
      whereValues = keyValues(plan, source, 'UPDATE')
      mask += ':K'
    }
    const st = plan.statement(`U${mask}`, () => {
      const set = sets.map((i, k) => `${plan.columns[i] ?? ''} = $${k + 1}::${plan.types[i] ?? ''}`)
      const where = full
        ? fullMatch(plan, sets.length + 1, whereValues)
        : plan.keyMatch(sets.length + 1)
      return full
        ? `UPDATE ${plan.only} SET ${set.join(', ')} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${plan.only} WHERE ${where} LIMIT 1)`
        : `UPDATE ${plan.only} SET ${set.join(', ')} WHERE ${where}`
    })
    for (const v of whereValues) if (v !== null && v !== undefined) values.push(v)
    if (plan.setsAlwaysIdentity(sets)) await this.#identities.relax(plan)
    const found = await this.#exec(plan, 'UPDATE', st.name, st.text, values)
    if (found === 0)
      throw missingRow(plan, 'UPDATE', full ? undefined : (whereValues as (string | null)[]))
  }

  /**
   * Add an UPDATE by key to the run of its table and shape (set-based). `key`: the
   * row's key before the update; `moved`: its key after, when the update changed it.
   */
  async #queueUpdate(
    plan: RelationPlan,
    shape: string,
    sets: number[],
    values: (string | null)[],
    key: (string | null)[],
    moved: string | undefined,
  ): Promise<void> {
    const id = key.length === 1 ? (key[0] as string) : key.join('\u0000')
    const width = sets.length + key.length
    const run = await this.#open('U', plan, shape, sets, EMPTY, width, id)
    const seen = run.seen as Set<string>
    seen.add(id)
    // a later change of the row by its new key must see this one done: it ends the run
    if (moved !== undefined) seen.add(moved)
    let c = 0
    for (let k = 0; k < values.length; k++)
      (run.columns[c++] as (string | null)[]).push(values[k] ?? null)
    for (let k = 0; k < key.length; k++)
      (run.columns[c++] as (string | null)[]).push(key[k] ?? null)
    await this.#added(run)
  }

  /**
   * Add an UPDATE (`sets` not empty) or DELETE of a REPLICA IDENTITY FULL table to the run of its
   * table and shape, by its old image (`image`, undefined: not sent, left out of the match).
   */
  async #queueFull(
    plan: RelationPlan,
    shape: string,
    sets: readonly number[],
    values: readonly (string | null)[],
    image: readonly (string | null | undefined)[],
  ): Promise<void> {
    const match: number[] = []
    for (let i = 0; i < image.length; i++) if (image[i] !== undefined) match.push(i)
    const old = sets.length > 0 ? imageId(image, undefined, undefined) : undefined
    const run = await this.#open('F', plan, shape, sets, match, sets.length + match.length, old)
    // an UPDATE whose old image is this new one must find the row this one leaves: it ends the run
    if (run.seen !== undefined) run.seen.add(imageId(image, sets, values))
    let c = 0
    for (let k = 0; k < values.length; k++)
      (run.columns[c++] as (string | null)[]).push(values[k] ?? null)
    for (const i of match) (run.columns[c++] as (string | null)[]).push(image[i] ?? null)
    await this.#added(run)
  }

  /** The first key of an UPDATE run that is not on the target (an error path only). */
  async #missingKey(run: Run): Promise<(string | null)[] | undefined> {
    const plan = run.plan
    const keys = plan.keys
    const { arrays, names, match } = keyUnnest(plan)
    const r = await this.#client.query<Record<string, string | null>>({
      text: `SELECT ${names.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})
              WHERE NOT EXISTS (SELECT 1 FROM ${plan.only} t WHERE ${match.join(' AND ')}) LIMIT 1`,
      values: run.columns.slice(run.columns.length - keys.length),
    })
    const row = r.rows[0]
    return row === undefined ? undefined : names.map((n) => row[n] ?? null)
  }

  /**
   * A run that sets a column of an immediate unique (or exclusion) index. A set-based statement
   * changes the rows in the join's order, not the run's: when a value changes hands within the run
   * (a swap, or keys shifted by one, done on the source in the one order the index allows) another
   * order fails. The set-based statement (`once`) is tried under a savepoint; on a unique or
   * exclusion violation the run is replayed row by row in the source's order, which either
   * succeeds as on the source or fails on a row that really conflicts (a diverged target).
   */
  async #guarded(
    run: Run,
    what: string,
    once: (values: unknown[], raw: boolean) => Promise<number>,
    reset: (() => void) | undefined,
  ): Promise<number> {
    const client = this.#client
    await client.query('SAVEPOINT pgferry_run')
    let found: number
    try {
      found = await once(run.columns, true)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (code !== UNIQUE_VIOLATION && code !== EXCLUSION_VIOLATION) {
        throw applyFailed(run.plan.label, what, error)
      }
      await client.query('ROLLBACK TO SAVEPOINT pgferry_run')
      found = 0
      reset?.()
      const width = run.columns.length
      const values: (string | null)[][] = new Array<(string | null)[]>(width)
      for (let r = 0; r < run.rows; r++) {
        for (let c = 0; c < width; c++) {
          values[c] = [(run.columns[c] as (string | null)[])[r] ?? null]
        }
        found += await once(values, false)
      }
    }
    await client.query('RELEASE SAVEPOINT pgferry_run')
    return found
  }

  /**
   * Run an UPDATE run's main statement over `values`; returns the rows found and adds to `#moved`
   * the rows whose ALWAYS identity value differs. `raw`: let the server's error through unwrapped.
   */
  async #update(run: Run, sql: UpdateRunSql, values: unknown[], raw = false): Promise<number> {
    const st = sql.main
    let r: pg.QueryResult<{ found: number; moved: number }>
    try {
      r = await this.#client.query<{ found: number; moved: number }>({
        name: st.name,
        text: st.text,
        values,
      })
    } catch (error) {
      if (raw) throw error
      throw applyFailed(run.plan.label, 'UPDATE', error)
    }
    if (!sql.counted) return r.rowCount ?? 0
    const row = r.rows[0]
    this.#moved += row?.moved ?? 0
    return row?.found ?? 0
  }

  async delete(plan: RelationPlan, m: DeleteMessage): Promise<void> {
    this.#rows++
    if (m.oldKind !== 'O') {
      const key = keyValues(plan, m.oldTuple, 'DELETE')
      const run = await this.#open('D', plan, 'DN', EMPTY, EMPTY, key.length, undefined)
      for (let k = 0; k < key.length; k++)
        (run.columns[k] as (string | null)[]).push(key[k] ?? null)
      await this.#added(run)
      return
    }
    const all = fullRowValues(plan, m.oldTuple)
    if (all.some((v) => v !== undefined)) {
      await this.#queueFull(plan, `FD:${presence(all)}`, EMPTY, NO_VALUES, all)
      return
    }
    // no old column to match by (a table without a written column): any one row
    await this.flush()
    const st = plan.statement(
      'DO',
      () =>
        `DELETE FROM ${plan.only} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${plan.only} LIMIT 1)`,
    )
    const found = await this.#exec(plan, 'DELETE', st.name, st.text, [])
    if (found === 0) throw missingRow(plan, 'DELETE')
  }

  async truncate(
    plans: readonly RelationPlan[],
    cascade: boolean,
    restart: boolean,
  ): Promise<void> {
    await this.flush()
    if (plans.length === 0) return
    const text = `TRUNCATE ${plans.map((p) => p.only).join(', ')}${restart ? ' RESTART IDENTITY' : ''}${cascade ? ' CASCADE' : ''}`
    try {
      await this.#client.query(text)
    } catch (error) {
      throw applyFailed(plans.map((p) => p.label).join(', '), 'TRUNCATE', error)
    }
  }

  async #exec(
    plan: RelationPlan,
    what: string,
    name: string,
    text: string,
    values: unknown[],
  ): Promise<number> {
    try {
      const r = await this.#client.query({ name, text, values })
      return r.rowCount ?? 0
    } catch (error) {
      throw applyFailed(plan.label, what, error)
    }
  }
}

const EMPTY: readonly number[] = []
const NO_VALUES: readonly (string | null)[] = []

/** The first matched column that leads a target index, to narrow a FULL run by (full-run-sql.ts). */
function fullLead(run: Run): FullRunLead | undefined {
  for (let k = 0; k < run.match.length; k++) {
    if (!run.plan.isIndexed(run.match[k] as number)) continue
    const values = run.columns[run.sets.length + k] as (string | null)[]
    return { k, nulls: values.includes(null) }
  }
  return undefined
}

/** Which old columns were sent (v) or not (u): the FULL statement's shape. */
function presence(image: readonly (string | null | undefined)[]): string {
  let s = ''
  for (const v of image) s += v === undefined ? 'u' : 'v'
  return s
}

/**
 * An image as one string, `sets` replaced by `values` (the new image of an UPDATE): NULL and a
 * column not sent each as a character no text value holds.
 */
function imageId(
  image: readonly (string | null | undefined)[],
  sets: readonly number[] | undefined,
  values: readonly (string | null)[] | undefined,
): string {
  const parts: string[] = new Array<string>(image.length)
  for (let i = 0; i < image.length; i++) {
    const v = image[i]
    parts[i] = v === undefined ? '\u0002' : v === null ? '\u0001' : v
  }
  if (sets !== undefined && values !== undefined) {
    for (let k = 0; k < sets.length; k++) {
      const i = sets[k] as number
      if (image[i] !== undefined) parts[i] = values[k] ?? '\u0001'
    }
  }
  return parts.join('\u0000')
}

/** The key after an UPDATE as a run's id: a key column not sent (unchanged TOAST) kept as it was. */
function newKeyId(plan: RelationPlan, tuple: TupleData, old: readonly (string | null)[]): string {
  const keys = plan.keys
  const parts: string[] = new Array<string>(keys.length)
  for (let k = 0; k < keys.length; k++) {
    const v = columnText(tuple, keys[k] as number)
    parts[k] = v === undefined || v === null ? (old[k] ?? '') : v
  }
  return parts.length === 1 ? (parts[0] as string) : parts.join('\u0000')
}

/** Key column values from `tuple`; a key column must have been sent. */
function keyValues(plan: RelationPlan, tuple: TupleData, what: string): (string | null)[] {
  const keys = plan.keys
  if (keys.length === 0) {
    throw new PgferryError(
      'PGFERRY_APPLY_FAILED',
      `${what} on ${plan.label}: the table has no replica identity key`,
      {
        fix: `ALTER TABLE ${plan.label} REPLICA IDENTITY FULL (or add a primary key) on the source`,
      },
    )
  }
  const values: (string | null)[] = new Array<string | null>(keys.length)
  for (let k = 0; k < keys.length; k++) {
    const v = columnText(tuple, keys[k] as number)
    if (v === undefined || v === null) {
      throw new PgferryError(
        'PGFERRY_APPLY_FAILED',
        `${what} on ${plan.label}: key column ${plan.columns[keys[k] as number] ?? ''} was not sent`,
      )
    }
    values[k] = v
  }
  return values
}
