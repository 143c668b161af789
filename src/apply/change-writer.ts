/**
 * Writes decoded changes to the target, inside the apply transaction the caller opened.
 *
 * - INSERT: every published column (an insert never carries unchanged-TOAST values).
 * - UPDATE: the SET list leaves out columns sent as unchanged TOAST ('u' is not NULL);
 *   the row is found by the old key ('K'), the whole old row ('O', REPLICA IDENTITY FULL),
 *   or the new tuple's key columns when the key did not change (no old image).
 * - DELETE: by the key, or for REPLICA IDENTITY FULL by every old column (text-compared, so types
 *   without an equality operator work) and one row only, through its (tableoid, ctid).
 * - TRUNCATE: the listed tables in one statement, with the source's CASCADE / RESTART IDENTITY.
 * - Every UPDATE, DELETE and TRUNCATE names its table with ONLY (`RelationPlan.only`): an
 *   inheritance child is a published table of its own, so its rows change only by its own changes.
 * - Runs of INSERTs into one table are sent set-based: one `INSERT … SELECT … FROM unnest($n::text[])`
 *   per run, each column cast to its target type; runs of UPDATEs of one table with
 *   the same columns sent and the key kept likewise (`UPDATE … FROM unnest(…)`), a key seen twice
 *   ending the run; where the rows' order can matter (a unique column set), a run that fails on a
 *   unique violation is replayed row by row in the source's order. Any other change flushes the
 *   run first, so the target sees the source's order.
 * - A GENERATED ALWAYS identity column is set only where its value changed, relaxed for that
 *   transaction (update-run-sql.ts, identity-relaxer.ts); generated columns are never published
 *   and the target computes them.
 *
 * A row that an UPDATE or DELETE does not find means the target diverged: that is an error, never
 * silently ignored.
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import {
  columnText,
  type DeleteMessage,
  type TupleData,
  type UpdateMessage,
} from '../wal/pgoutput-messages.js'
import type { RelationPlan } from './relation-plan.js'
import { updateRunSql, type UpdateRunSql } from './update-run-sql.js'
import { IdentityRelaxer } from './identity-relaxer.js'
import { fullMask, fullMatch, fullRowValues } from './full-row-match.js'

/** SQLSTATEs of a violated unique index and exclusion constraint. */
const UNIQUE_VIOLATION = '23505'
const EXCLUSION_VIOLATION = '23P01'

/** Rows in one set-based INSERT or UPDATE statement. */
export const DEFAULT_RUN_ROWS = 2000

/**
 * A run of INSERTs (`I`) or of same-shape, key-kept UPDATEs (`U`) of one table, kept column-major
 * as text: for an update run, the SET columns' values and then the key's.
 */
interface Run {
  kind: 'I' | 'U'
  plan: RelationPlan
  /** UPDATE: which columns are set, and the statement shape. */
  sets: readonly number[]
  shape: string
  columns: (string | null)[][]
  rows: number
  /** UPDATE: keys in the run (UPDATE … FROM would apply only one of two updates of a row). */
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
    let run = this.#run
    if (run !== undefined && (run.plan !== plan || run.kind !== 'I')) {
      await this.flush()
      run = undefined
    }
    if (run === undefined) {
      const columns: (string | null)[][] = new Array<(string | null)[]>(n)
      for (let i = 0; i < n; i++) columns[i] = []
      run = { kind: 'I', plan, sets: [], shape: 'IN', columns, rows: 0, seen: undefined }
      this.#run = run
    }
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
    run.rows++
    if (run.rows >= this.#runRows) await this.flush()
  }

  /** Send the pending insert run, if any. Call before anything that must see its rows. */
  async flush(): Promise<void> {
    const run = this.#run
    if (run === undefined) return
    this.#run = undefined
    const plan = run.plan
    if (run.kind === 'U') {
      const sql = updateRunSql(plan, run.shape, run.sets)
      this.#moved = 0
      const found =
        run.rows > 1 && plan.orderMatters(sql.others)
          ? await this.#updateGuarded(run, sql)
          : await this.#update(run, sql, run.columns)
      if (found !== run.rows) throw missingRow(plan, 'UPDATE', await this.#missingKey(run))
      if (this.#moved > 0 && sql.identity !== undefined) {
        // an identity value changed on the source (SET … = DEFAULT there)
        await this.#identities.relax(plan)
        await this.#exec(plan, 'UPDATE', sql.identity.name, sql.identity.text, run.columns)
      }
      return
    }
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
    if (keyKept && plan.relation.replicaIdentity !== 'f') {
      await this.#queueUpdate(plan, mask, sets, values, keyValues(plan, tuple, 'UPDATE'))
      return
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

  /** Add a key-kept UPDATE to the run of its table and shape (set-based, ARCHITECTURE.md). */
  async #queueUpdate(
    plan: RelationPlan,
    shape: string,
    sets: number[],
    values: (string | null)[],
    key: (string | null)[],
  ): Promise<void> {
    const id = key.length === 1 ? (key[0] as string) : key.join('\u0000')
    let run = this.#run
    if (
      run !== undefined &&
      (run.kind !== 'U' ||
        run.plan !== plan ||
        run.shape !== shape ||
        (run.seen as Set<string>).has(id))
    ) {
      await this.flush()
      run = undefined
    }
    if (run === undefined) {
      const width = sets.length + key.length
      const columns: (string | null)[][] = new Array<(string | null)[]>(width)
      for (let i = 0; i < width; i++) columns[i] = []
      run = { kind: 'U', plan, sets, shape, columns, rows: 0, seen: new Set() }
      this.#run = run
    }
    ;(run.seen as Set<string>).add(id)
    let c = 0
    for (let k = 0; k < values.length; k++)
      (run.columns[c++] as (string | null)[]).push(values[k] ?? null)
    for (let k = 0; k < key.length; k++)
      (run.columns[c++] as (string | null)[]).push(key[k] ?? null)
    run.rows++
    if (run.rows >= this.#runRows) await this.flush()
  }

  /** The first key of an UPDATE run that is not on the target (an error path only). */
  async #missingKey(run: Run): Promise<(string | null)[] | undefined> {
    const plan = run.plan
    const keys = plan.keys
    const arrays: string[] = []
    const names: string[] = []
    const match: string[] = []
    for (let k = 0; k < keys.length; k++) {
      const i = keys[k] as number
      arrays.push(`$${k + 1}::text[]`)
      names.push(`k${k}`)
      match.push(`t.${plan.columns[i] ?? ''} = u.k${k}::${plan.types[i] ?? ''}`)
    }
    const r = await this.#client.query<Record<string, string | null>>({
      text: `SELECT ${names.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})
              WHERE NOT EXISTS (SELECT 1 FROM ${plan.only} t WHERE ${match.join(' AND ')}) LIMIT 1`,
      values: run.columns.slice(run.columns.length - keys.length),
    })
    const row = r.rows[0]
    return row === undefined ? undefined : names.map((n) => row[n] ?? null)
  }

  /**
   * An UPDATE run that sets a column of an immediate unique (or exclusion) index. `UPDATE … FROM
   * unnest(…)` updates the rows in the join's order, not the run's: when a value changes hands
   * within the run (a swap, done on the source in the one order the index allows) another order
   * fails. The set-based statement is tried under a savepoint; on a unique or exclusion violation
   * the run is replayed row by row in the source's order, which either succeeds as on the source
   * or fails on a row that really conflicts (a diverged target).
   */
  async #updateGuarded(run: Run, sql: UpdateRunSql): Promise<number> {
    const client = this.#client
    await client.query('SAVEPOINT pgferry_run')
    let found: number
    try {
      found = await this.#update(run, sql, run.columns, true)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (code !== UNIQUE_VIOLATION && code !== EXCLUSION_VIOLATION) {
        throw applyFailed(run.plan.label, 'UPDATE', error)
      }
      await client.query('ROLLBACK TO SAVEPOINT pgferry_run')
      found = 0
      this.#moved = 0
      const width = run.columns.length
      const values: string[][] = new Array<string[]>(width)
      for (let r = 0; r < run.rows; r++) {
        for (let c = 0; c < width; c++) {
          values[c] = [(run.columns[c] as (string | null)[])[r] as string]
        }
        found += await this.#update(run, sql, values)
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
    await this.flush()
    this.#rows++
    const full = m.oldKind === 'O'
    let values: (string | null)[]
    let shape: string
    if (full) {
      const all = fullRowValues(plan, m.oldTuple)
      shape = `DO${fullMask(all)}`
      values = []
      for (const v of all) if (v !== null && v !== undefined) values.push(v)
      const st = plan.statement(shape, () => {
        const where = fullMatch(plan, 1, all)
        return `DELETE FROM ${plan.only} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${plan.only} WHERE ${where} LIMIT 1)`
      })
      const found = await this.#exec(plan, 'DELETE', st.name, st.text, values)
      if (found === 0) throw missingRow(plan, 'DELETE')
      return
    }
    values = keyValues(plan, m.oldTuple, 'DELETE')
    const st = plan.statement('DK', () => `DELETE FROM ${plan.only} WHERE ${plan.keyMatch(1)}`)
    const found = await this.#exec(plan, 'DELETE', st.name, st.text, values)
    if (found === 0) throw missingRow(plan, 'DELETE', values)
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

/** `(k1, k2)=(77, k77)`, as the server words a key in its messages. */
function keyText(plan: RelationPlan, key: readonly (string | null)[]): string {
  const names = plan.keys.map((i) => plan.relation.columns[i]?.name ?? '')
  return `(${names.join(', ')})=(${key.map((v) => v ?? 'NULL').join(', ')})`
}

/** A row the source changed is not on the target: it diverged (changed behind the task). */
function missingRow(
  plan: RelationPlan,
  what: string,
  key?: readonly (string | null)[],
): PgferryError {
  const row = key === undefined ? 'the row' : `the row with key ${keyText(plan, key)}`
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `${what} on ${plan.label}: ${row} is not on the target (the target diverged from the source; nothing after it was applied)`,
    {
      retryable: false,
      fix: `restore ${row} on the target as the source has it (insert it, or copy ${plan.label} again), then start the sync again (startIncremental)`,
    },
  )
}

const UNIQUE_VIOLATION_CODE = '23505'

function applyFailed(table: string, what: string, error: unknown): PgferryError {
  if (error instanceof PgferryError) return error
  const detail = (error as { detail?: unknown }).detail
  if ((error as { code?: unknown }).code === UNIQUE_VIOLATION_CODE) {
    // the same statement fails the same way until the target is mended: not retryable as it is
    return new PgferryError(
      'PGFERRY_APPLY_FAILED',
      `${what} on ${table} failed: ${messageOf(error)}${typeof detail === 'string' ? ` (${detail})` : ''}: a row with that key is on the target but not on the source (the target diverged; nothing after it was applied)`,
      {
        cause: error,
        retryable: false,
        fix: `delete that row from ${table} on the target (it was put there behind the task), then start the sync again (startIncremental)`,
      },
    )
  }
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `${what} on ${table} failed: ${messageOf(error)}${typeof detail === 'string' ? ` (${detail})` : ''}`,
    {
      cause: error,
    },
  )
}
