/**
 * Where the apply records how far it got (ARCHITECTURE.md): in the *same* target transaction as the
 * changes, so "applied" and "recorded" can never disagree after a crash.
 *
 * - `origin` (preferred, what PostgreSQL's own apply worker does, worker.c/origin.c): a replication
 *   origin per task and source database; `pg_replication_origin_session_setup` once per apply
 *   connection, then `pg_replication_origin_xact_setup(end_lsn, commit_ts)` in each apply
 *   transaction, so the commit record itself carries the progress and crash recovery restores it.
 *   Needs superuser (or EXECUTE granted on the origin functions, v14+).
 * - `table` (fallback when the origin functions are refused): an upsert of one row of
 *   `apply_progress`, a table of the task's target ledger (model/target-ledger.ts) in the target
 *   database, in the same transaction.
 *
 * The recorded position is the source transaction's *end* LSN (as the native worker records
 * `end_lsn`): START_REPLICATION from it makes the server skip every transaction whose commit
 * record starts before it, i.e. exactly the applied ones.
 */
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { sqlStateOf } from '../errors.js'
import { quoteLiteral } from '../pg/quote.js'
import type { TargetLedger } from '../model/target-ledger.js'
import { ensureLedger, ledgerTable } from '../store/target-ledger.js'
import { ORIGINS_EXHAUSTED_SQLSTATE, originsExhausted } from './origins-exhausted.js'
import { formatLsn, parseLsn } from '../wal/lsn.js'

/** How progress is recorded. */
export type ProgressMode = 'origin' | 'table'

/** The replication origin of a task in one source database (same shape as the slot name). */
export function originName(taskId: string, sourceDb: string): string {
  const h = createHash('sha1').update(sourceDb).digest('hex').slice(0, 8)
  return `pgferry_${taskId
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40)}_${h}`
}

/** A commit timestamp (µs since 2000-01-01 UTC) as SQL, exactly (no JS Date in between). */
const commitTsSql = (micros: string): string =>
  `(timestamptz '2000-01-01 00:00:00+00' + ${micros}::int8 * interval '1 microsecond')`

/** Attempts to take an origin still held by the backend of a killed process (it exits at EOF). */
const SETUP_ATTEMPTS = 100
const SETUP_RETRY_MS = 100

/** Progress of one source database on its apply connection. */
export class ApplyProgress {
  readonly mode: ProgressMode
  readonly #client: pg.Client
  readonly #taskId: string
  readonly #sourceDb: string
  readonly #origin: string
  readonly #table: string
  readonly #recordSql: string

  private constructor(
    client: pg.Client,
    mode: ProgressMode,
    ledger: TargetLedger,
    taskId: string,
    sourceDb: string,
  ) {
    this.#client = client
    this.mode = mode
    this.#taskId = taskId
    this.#sourceDb = sourceDb
    this.#origin = originName(taskId, sourceDb)
    this.#table = ledgerTable(ledger, 'applyProgress')
    this.#recordSql = `INSERT INTO ${this.#table} (task_id, source_db, end_lsn, commit_time)
           VALUES ($3, $4, $1::pg_lsn, ${commitTsSql('$2')})
           ON CONFLICT (task_id, source_db) DO UPDATE SET end_lsn = EXCLUDED.end_lsn, commit_time = EXCLUDED.commit_time`
  }

  /**
   * Set up progress on `client` (the apply connection, outside a transaction): the origin when the
   * server lets this user use it, else the table of the task's target `ledger`. `onFallback` says
   * why the table is used.
   */
  static async open(
    client: pg.Client,
    ledger: TargetLedger,
    taskId: string,
    sourceDb: string,
    onFallback: (reason: string) => void,
  ): Promise<ApplyProgress> {
    const name = originName(taskId, sourceDb)
    try {
      await client.query(
        `SELECT pg_replication_origin_create($1) WHERE pg_replication_origin_oid($1) IS NULL`,
        [name],
      )
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(`SELECT pg_replication_origin_session_setup($1)`, [name])
          break
        } catch (error) {
          if (sqlStateOf(error) === ORIGINS_EXHAUSTED_SQLSTATE)
            throw await originsExhausted(client, name, error)
          // 55006 object_in_use: the backend of a killed apply process still holds it
          if (sqlStateOf(error) !== '55006' || attempt >= SETUP_ATTEMPTS) throw error
          await new Promise((r) => setTimeout(r, SETUP_RETRY_MS))
        }
      }
      return new ApplyProgress(client, 'origin', ledger, taskId, sourceDb)
    } catch (error) {
      if (sqlStateOf(error) !== '42501') throw error
      onFallback(
        `the target user may not use replication origins (superuser, or EXECUTE on pg_replication_origin_* on v14+); apply progress is kept in ${ledgerTable(ledger, 'applyProgress')} instead`,
      )
    }
    // this apply connection uses the ledger until it ends (store/target-ledger.ts)
    await ensureLedger(client, ledger, ['applyProgress'])
    return new ApplyProgress(client, 'table', ledger, taskId, sourceDb)
  }

  /** The end LSN of the last applied source transaction; 0n when nothing was applied yet. */
  async read(): Promise<bigint> {
    const r =
      this.mode === 'origin'
        ? await this.#client.query<{ lsn: string | null }>(
            `SELECT pg_replication_origin_progress($1, false)::text AS lsn`,
            [this.#origin],
          )
        : await this.#client.query<{ lsn: string | null }>(
            `SELECT end_lsn::text AS lsn FROM ${this.#table} WHERE task_id = $1 AND source_db = $2`,
            [this.#taskId, this.#sourceDb],
          )
    const lsn = r.rows[0]?.lsn
    return lsn === null || lsn === undefined ? 0n : parseLsn(lsn)
  }

  /**
   * Record `endLsn` in the open apply transaction and commit it.
   *
   * With an origin, the position is set up and the transaction committed by *one* Query message.
   * From v15 an abort record carries the session's origin position too, so a backend that aborts
   * a transaction after `pg_replication_origin_xact_setup` (its client killed before COMMIT, the
   * backend then ending at EOF) moves the origin past rows it rolled back, and a restart would skip
   * them. The server reads a whole message before it runs any of it: either nothing of it arrives,
   * or the COMMIT runs too. Deferred constraints are checked first (`SET CONSTRAINTS ALL
   * IMMEDIATE`), so a violation aborts before the position is set up.
   */
  async commit(endLsn: bigint, commitTime: bigint): Promise<void> {
    if (this.mode === 'origin') {
      // literals: a Query message carries no parameters; both values are our own formatting
      await this.#client.query(
        `SET CONSTRAINTS ALL IMMEDIATE; SELECT pg_replication_origin_xact_setup('${formatLsn(endLsn)}'::pg_lsn, ${commitTsSql(commitTime.toString())}); COMMIT`,
      )
      return
    }
    await this.#client.query({
      name: 'pgferry_progress_table',
      text: this.#recordSql,
      values: [formatLsn(endLsn), commitTime.toString(), this.#taskId, this.#sourceDb],
    })
    await this.#client.query('COMMIT')
  }

  /**
   * Record `endLsn` in the open transaction of `other` and commit it: `other` is a second apply
   * connection of the same target database (the eager transaction, eager-transaction.ts), and this
   * connection is outside a transaction. A replication origin is held by one session at a time, so
   * this connection lets it go, `other` takes it in the same Query message as the xact setup and
   * COMMIT (for the reason `commit` gives) and lets it go after, and this connection takes it back,
   * whatever happened. `applied` is what is committed before, put back if the COMMIT fails (its
   * abort record may carry the position, see `restore`).
   */
  async commitOn(
    other: pg.Client,
    endLsn: bigint,
    commitTime: bigint,
    applied: bigint,
  ): Promise<void> {
    if (this.mode === 'table') {
      await other.query({
        name: 'pgferry_progress_table',
        text: this.#recordSql,
        values: [formatLsn(endLsn), commitTime.toString(), this.#taskId, this.#sourceDb],
      })
      await other.query('COMMIT')
      return
    }
    const origin = quoteLiteral(this.#origin)
    await this.#client.query(`SELECT pg_replication_origin_session_reset()`)
    let failed = false
    try {
      await other.query(
        `SELECT pg_replication_origin_session_setup(${origin}); SET CONSTRAINTS ALL IMMEDIATE; SELECT pg_replication_origin_xact_setup('${formatLsn(endLsn)}'::pg_lsn, ${commitTsSql(commitTime.toString())}); COMMIT`,
      )
    } catch (error) {
      failed = true
      await other.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      // not set up when the message failed before it: that error is the one to report
      await other.query(`SELECT pg_replication_origin_session_reset()`).catch(() => undefined)
      if (failed) {
        await this.#client.query(`SELECT pg_replication_origin_advance($1, $2::pg_lsn)`, [
          this.#origin,
          formatLsn(applied),
        ])
      }
      await this.#client.query(`SELECT pg_replication_origin_session_setup($1)`, [this.#origin])
    }
  }

  /**
   * After an apply transaction that had recorded `endLsn` failed to commit: put the origin back to
   * `applied`. Needed because an *abort* record also carries the session's origin position (v15+
   * track aborts of streamed transactions this way), so the failed transaction moved the origin
   * past what the target holds. The table needs nothing: its row rolled back with the rest.
   */
  async restore(applied: bigint): Promise<void> {
    if (this.mode !== 'origin') return
    await this.#client.query(`SELECT pg_replication_origin_session_reset()`)
    await this.#client.query(`SELECT pg_replication_origin_advance($1, $2::pg_lsn)`, [
      this.#origin,
      formatLsn(applied),
    ])
    await this.#client.query(`SELECT pg_replication_origin_session_setup($1)`, [this.#origin])
  }

  /** Let go of the origin so it can be dropped (a no-op for the table). */
  async release(): Promise<void> {
    if (this.mode === 'origin')
      await this.#client.query(`SELECT pg_replication_origin_session_reset()`)
  }
}

/**
 * Remove the progress of a task in one source database from the target database `client` is on:
 * the origin (waiting briefly for a session that still holds it) and the fallback row of the
 * task's target `ledger` (its table stays: store/target-ledger.ts `releaseLedger` drops the
 * ledger's tables once no task uses them). Idempotent.
 */
export async function dropApplyProgress(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  sourceDb: string,
): Promise<boolean> {
  const name = originName(taskId, sourceDb)
  let dropped = false
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.query(
        `SELECT pg_replication_origin_drop($1) WHERE pg_replication_origin_oid($1) IS NOT NULL`,
        [name],
      )
      dropped = (r.rowCount ?? 0) > 0
      break
    } catch (error) {
      const state = sqlStateOf(error)
      if (state === '42501') break // never usable by this user: the table was used
      if (state !== '55006' || attempt >= SETUP_ATTEMPTS) throw error
      await new Promise((r) => setTimeout(r, SETUP_RETRY_MS))
    }
  }
  await client
    .query(
      `DELETE FROM ${ledgerTable(ledger, 'applyProgress')} WHERE task_id = $1 AND source_db = $2`,
      [taskId, sourceDb],
    )
    .catch((error: unknown) => {
      if (sqlStateOf(error) !== '42P01' && sqlStateOf(error) !== '3F000') throw error
    })
  return dropped
}
