/**
 * Sends a ChangeWriter's runs as set-based statements, one run at a time, leaving the statement of
 * a run whose outcome needs no decision in flight while the writer builds the next one
 * (statement-pipe.ts): INSERT and DELETE-by-key runs, and UPDATE runs whose rows cannot conflict by
 * their order. A run that may need its row-by-row replay (guarded-run.ts) or an identity relaxed
 * after it runs awaited.
 */
import type pg from 'pg'
import type { ChangeRun } from './change-run.js'
import { fullLead, fullTyped } from './change-run.js'
import { deleteRunSql, keyUnnest } from './delete-run-sql.js'
import { COPY_MIN_ROWS, copyInsertSql, copyInto, copyRows } from './insert-run-copy.js'
import { fullRunSql } from './full-run-sql.js'
import type { IdentityRelaxer } from './identity-relaxer.js'
import type { RelationPlan } from './relation-plan.js'
import { StatementPipe } from './statement-pipe.js'
import { guardedAwaited, guardedUnit, type Once } from './guarded-run.js'
import { updateRunSql, type UpdateRunSql } from './update-run-sql.js'
import { applyFailed, missingRow } from './write-errors.js'
import { textArrayParams, type StatementParam } from '../pg/text-array.js'

/** The statements of one writer's runs, on its client. */
export class RunSender {
  readonly #client: pg.Client
  readonly #identities: IdentityRelaxer
  readonly #pipe = new StatementPipe()
  /** Rows of the UPDATE run being sent whose ALWAYS identity value differs (update-run-sql.ts). */
  #moved = 0
  /** `enable_nestloop` may be off in the open transaction (`#nestloop`). */
  #nestloopOff = false
  /** Counts `drop`s: a unit still running from a dropped transaction queues nothing more. */
  #generation = 0

  constructor(client: pg.Client, identities: IdentityRelaxer) {
    this.#client = client
    this.#identities = identities
  }

  /** Wait for the statement in flight: throws what it found wrong. Before any other query. */
  settle(): Promise<void> {
    return this.#pipe.settle()
  }

  /** The transaction was rolled back with whatever was in flight. */
  drop(): void {
    this.#generation++
    this.#pipe.drop()
  }

  /** Send `run`; its statement may still be running when this returns (`settle`). */
  send(run: ChangeRun): Promise<void> {
    switch (run.kind) {
      case 'I':
        return this.#nestloop(true).then(() => this.#pipe.send(() => this.#insert(run)))
      case 'D':
        return this.#nestloop(true).then(() => this.#pipe.send(() => this.#delete(run)))
      case 'U':
        return this.#nestloop(true).then(() => this.#update(run))
      case 'F':
        return this.#full(run)
    }
  }

  /** Run one statement now (after `settle`); returns the rows it changed. */
  async exec(
    plan: RelationPlan,
    what: string,
    name: string,
    text: string,
    values: readonly StatementParam[],
  ): Promise<number> {
    try {
      const r = await this.#client.query({ name, text, values: textArrayParams(values) })
      return r.rowCount ?? 0
    } catch (error) {
      throw applyFailed(plan.label, what, error)
    }
  }

  /** TRUNCATE the tables in one statement, with the source's CASCADE / RESTART IDENTITY. */
  async truncate(
    plans: readonly RelationPlan[],
    cascade: boolean,
    restart: boolean,
  ): Promise<void> {
    const text = `TRUNCATE ${plans.map((p) => p.only).join(', ')}${restart ? ' RESTART IDENTITY' : ''}${cascade ? ' CASCADE' : ''}`
    try {
      await this.#client.query(text)
    } catch (error) {
      throw applyFailed(plans.map((p) => p.label).join(', '), 'TRUNCATE', error)
    }
  }

  async #delete(run: ChangeRun): Promise<void> {
    const plan = run.plan
    const st = deleteRunSql(plan)
    const found = await this.exec(plan, 'DELETE', st.name, st.text, run.columns)
    if (found !== run.rows)
      throw missingRow(plan, 'DELETE', undefined, [run.rows - found, run.rows])
  }

  async #insert(run: ChangeRun): Promise<void> {
    const plan = run.plan
    const written = plan.written
    if (written.length === 0) {
      // a table with no column to send (zero columns, or generated ones only): rows all the same
      const st = plan.statement(
        'I0',
        () => `INSERT INTO ${plan.target} SELECT FROM generate_series(1, $1::int)`,
      )
      await this.exec(plan, 'INSERT', st.name, st.text, [run.rows])
      return
    }
    if (run.rows >= COPY_MIN_ROWS && plan.copyable) {
      const data = copyRows(run)
      let copied: number
      try {
        copied = await copyInto(this.#client, copyInsertSql(plan), data)
      } catch (error) {
        throw applyFailed(plan.label, 'INSERT', error)
      }
      if (copied !== run.rows) {
        throw applyFailed(
          plan.label,
          'INSERT',
          new Error(`COPY wrote ${copied} of ${run.rows} rows`),
        )
      }
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
      await this.exec(plan, 'INSERT', st.name, st.text, values)
      return
    }
    const st = plan.statement('IN', () => {
      const arrays = written.map((_i, k) => `$${k + 1}::text[]`)
      const names = written.map((_i, k) => `c${k}`)
      const casts = written.map((i, k) => `u.c${k}::${plan.types[i] ?? ''}`)
      return `INSERT INTO ${plan.target} (${list}) OVERRIDING SYSTEM VALUE
              SELECT ${casts.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})`
    })
    await this.exec(plan, 'INSERT', st.name, st.text, run.columns)
  }

  async #update(run: ChangeRun): Promise<void> {
    const plan = run.plan
    const sql = updateRunSql(plan, run.shape, run.sets)
    const guarded = run.rows > 1 && plan.orderMatters(sql.others)
    if (!sql.counted) {
      // one statement and a row count: nothing to decide before the next run (the missing key's
      // lookup, an error path, reads only: whatever was queued meanwhile cannot change its answer);
      // a guarded one decides in its unit, before the next unit is sent (guarded-run.ts)
      const generation = this.#generation
      const once: Once = (values, raw) => this.#runUpdate(run, sql, values, raw)
      return this.#pipe.send(async () => {
        const found = guarded
          ? await guardedUnit(this.#client, run, once, () => generation === this.#generation)
          : await this.#runUpdate(run, sql, run.columns, false)
        if (found !== run.rows) await this.#updateMissed(run, found)
      })
    }
    await this.#pipe.settle()
    this.#moved = 0
    const once: Once = (values, raw) => this.#runUpdate(run, sql, values, raw)
    const found = guarded
      ? await guardedAwaited(this.#client, run, 'UPDATE', once, () => {
          this.#moved = 0
        })
      : await once(run.columns, false)
    if (found !== run.rows) await this.#updateMissed(run, found)
    if (this.#moved > 0 && sql.identity !== undefined) {
      // an identity value changed on the source (SET … = DEFAULT there)
      await this.#identities.relax(plan)
      await this.exec(plan, 'UPDATE', sql.identity.name, sql.identity.text, run.columns)
    }
  }

  /** An UPDATE run found fewer rows than it has: the error, with the missing key where known. */
  async #updateMissed(run: ChangeRun, found: number): Promise<never> {
    const plan = run.plan
    // the rows found have their new keys now: which old key was missing is not known
    if (run.shape.endsWith(':K'))
      throw missingRow(plan, 'UPDATE', undefined, [run.rows - found, run.rows])
    throw missingRow(plan, 'UPDATE', await this.#missingKey(run))
  }

  async #full(run: ChangeRun): Promise<void> {
    const plan = run.plan
    const what = run.sets.length > 0 ? 'UPDATE' : 'DELETE'
    const st = fullRunSql(plan, run.shape, run.sets, run.match, fullLead(run), fullTyped(run))
    const guarded = run.rows > 1 && run.sets.length > 0 && plan.orderMatters(run.sets)
    if (guarded || plan.setsAlwaysIdentity(run.sets)) {
      await this.#pipe.settle()
      if (plan.setsAlwaysIdentity(run.sets)) await this.#identities.relax(plan)
    }
    await this.#nestloop(false)
    if (!guarded) {
      return this.#pipe.send(async () => {
        const n = await this.exec(plan, what, st.name, st.text, run.columns)
        if (n !== run.rows) throw missingRow(plan, what, undefined, [run.rows - n, run.rows])
      })
    }
    const once: Once = async (values, raw) => {
      if (!raw) return this.exec(plan, what, st.name, st.text, values)
      const r = await this.#client.query({
        name: st.name,
        text: st.text,
        values: textArrayParams(values),
      })
      return r.rowCount ?? 0
    }
    const found = await guardedAwaited(this.#client, run, what, once, undefined)
    if (found !== run.rows) throw missingRow(plan, what, undefined, [run.rows - found, run.rows])
  }

  /**
   * Allow nested loops (`on`) or not, for the transaction from here. A FULL run's join of its
   * images with the table's rows is estimated at a row or two (nine clauses of unknown selectivity,
   * often on a table not analyzed yet): a nested loop over them compared every row with every image
   * (measured: 5 s for 3,000 rows, 0.1 s hashed). Kept off with an index too: the index narrows
   * both sides by `= ANY` (full-run-sql.ts), which needs no nested loop, while the images' join
   * would still risk the quadratic one. A run by key wants them back (an index lookup per key).
   * Set awaited, never queued behind a statement in flight (pg deprecates its query queue); a
   * FULL run sets it off every time, since a commit or rollback puts it back unseen.
   */
  async #nestloop(on: boolean): Promise<void> {
    if (on && !this.#nestloopOff) return
    await this.#pipe.settle()
    await this.#client.query(
      on ? 'SET LOCAL enable_nestloop TO DEFAULT' : 'SET LOCAL enable_nestloop = off',
    )
    this.#nestloopOff = !on
  }

  /** The first key of an UPDATE run that is not on the target (an error path only). */
  async #missingKey(run: ChangeRun): Promise<(string | null)[] | undefined> {
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
   * Run an UPDATE run's main statement over `values`; returns the rows found and adds to `#moved`
   * the rows whose ALWAYS identity value differs. `raw`: let the server's error through unwrapped.
   */
  async #runUpdate(
    run: ChangeRun,
    sql: UpdateRunSql,
    values: readonly StatementParam[],
    raw: boolean,
  ): Promise<number> {
    const st = sql.main
    let r: pg.QueryResult<{ found: number; moved: number }>
    try {
      r = await this.#client.query<{ found: number; moved: number }>({
        name: st.name,
        text: st.text,
        values: textArrayParams(values),
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
}
