/**
 * The default store: a schema `pgferry` in a PostgreSQL database (the target's, unless the caller
 * points it elsewhere). Its DDL is versioned and applied on first use (store-migrations.ts).
 */
import pg from 'pg'
import { PgferryError, sqlStateOf } from '../errors.js'
import { clientConfig, connectError } from '../pg/connect.js'
import { quoteIdent } from '../pg/quote.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'
import type { TaskState } from '../model/task-state.js'
import { MIGRATIONS, migrateStore } from './store-migrations.js'
import { storeDenied, type StoreLocation } from './store-denied.js'
import { toRecord, type TaskRow } from './task-row.js'
import type {
  ProgressEntry,
  ProgressStore,
  StoredEvent,
  TaskPatch,
  TaskRecord,
} from '../model/progress-store.js'
import { DEFAULT_STORE_SCHEMA } from '../model/store-schema.js'
import type {
  LeaseAcquireOptions,
  LeaseAcquireResult,
  LeaseClaim,
  TaskLease,
} from '../model/lease.js'
import * as lease from './pg-lease.js'

/**
 * Where a {@link PgStore} lives.
 * @public
 */
export interface PgStoreOptions {
  /** Schema name. Defaults to `pgferry`. */
  readonly schema?: string
  /** Database to connect to. Defaults to the connection's own database. */
  readonly database?: string
}

/**
 * {@link ProgressStore} in a PostgreSQL schema.
 * @public
 */
export class PgStore implements ProgressStore {
  readonly #conn: ResolvedConnection
  readonly #database: string
  /** The schema's name, unquoted: the task's target ledger takes the same (model/target-ledger.ts). */
  readonly schemaName: string
  #pool: pg.Pool | undefined
  #init: Promise<void> | undefined

  /**
   * Connects lazily, on first use (a pool on `options.database`, else the connection's database).
   * @param connection - where the store lives, usually the task's resolved target
   * @param options - the schema (default `pgferry`) and database
   */
  constructor(connection: ResolvedConnection, options: PgStoreOptions = {}) {
    this.#conn = connection
    this.#database = options.database ?? connection.database
    this.schemaName = options.schema ?? DEFAULT_STORE_SCHEMA
  }

  /** The quoted schema, for stages that write progress rows inside their own transactions. */
  get schema(): string {
    return quoteIdent(this.schemaName)
  }

  /** The database the store lives in. */
  get database(): string {
    return this.#database
  }

  async #query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    await this.init()
    return this.#run<R>(text, values)
  }

  async #run<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    if (this.#pool === undefined) {
      const pool = new pg.Pool({
        ...(await clientConfig(this.#conn, { database: this.#database })),
        max: 2,
        idleTimeoutMillis: 5_000,
      })
      pool.on('error', () => {
        /* an idle client died; the pool replaces it */
      })
      this.#pool = pool
    }
    try {
      return await this.#pool.query<R>(text.replaceAll('$S', this.schema), values)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (
        sqlStateOf(error) === undefined ||
        /^(28|3D)/.test(sqlStateOf(error) ?? '') ||
        code === 'ECONNREFUSED'
      ) {
        throw connectError(error, this.#conn, 'target', this.#database)
      }
      if (sqlStateOf(error) === '42501') throw await this.#denied(error)
      throw new PgferryError(
        'PGFERRY_STORE_FAILED',
        `progress store ${this.schemaName}: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }

  /** Permission denied on the store: the fix names the schema's owner, read if possible. */
  async #denied(error: unknown): Promise<PgferryError> {
    const owner = await this.#pool
      ?.query<{ owner: string }>(
        `SELECT r.rolname AS owner FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = $1`,
        [this.schemaName],
      )
      .then((r) => r.rows[0]?.owner)
      .catch(() => undefined)
    return storeDenied(error, this.#where(), owner)
  }

  #where(): StoreLocation {
    return { schema: this.schemaName, database: this.#database, user: this.#conn.user }
  }

  /** {@inheritDoc ProgressStore.init} */
  init(): Promise<void> {
    this.#init ??= this.#migrate().catch((error: unknown) => {
      this.#init = undefined
      throw error
    })
    return this.#init
  }

  async #migrate(): Promise<void> {
    // One round trip when the store is current; the locked path only on first use or upgrade.
    const current = await this.#version()
    if (current === MIGRATIONS.length) return
    if (current > MIGRATIONS.length) {
      throw new PgferryError(
        'PGFERRY_STORE_SCHEMA_VERSION',
        `progress store ${this.schemaName} is at version ${current}, newer than this pgferry (${MIGRATIONS.length})`,
        {
          fix: 'upgrade pgferry, or point the store at another schema',
        },
      )
    }
    const pool = this.#pool
    if (pool === undefined) throw new PgferryError('PGFERRY_INTERNAL', 'store pool missing')
    const client = await pool.connect()
    try {
      await migrateStore(client, this.#where())
    } finally {
      client.release()
    }
  }

  /**
   * True when the store was never created in this database: reads then return nothing and create
   * nothing (`pgferry list` on a server it only looks at must leave it as it was).
   */
  async #absent(): Promise<boolean> {
    if (this.#init !== undefined) return false
    return (await this.#version()) === 0
  }

  async #version(): Promise<number> {
    const r = await this.#run<{ v: number | null }>(
      `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE NULL END AS v`,
      [`${this.schema}.store_version`],
    )
    if (r.rows[0]?.v === 0) return 0
    const v = await this.#run<{ version: number }>(`SELECT version FROM $S.store_version`)
    return v.rows[0]?.version ?? 0
  }

  /** {@inheritDoc ProgressStore.saveTask} */
  async saveTask(t: TaskRecord): Promise<void> {
    try {
      await this.#query(
        `INSERT INTO $S.task (id, name, type, state, config, tags, stage, error, skipped_checks, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          t.id,
          t.name,
          t.type,
          t.state,
          JSON.stringify(t.config),
          JSON.stringify(t.tags),
          t.stage ?? null,
          t.error ?? null,
          JSON.stringify(t.skippedChecks),
          t.createdAt,
          t.updatedAt,
        ],
      )
    } catch (error) {
      if (sqlStateOf((error as Error).cause) === '23505') {
        throw new PgferryError('PGFERRY_TASK_EXISTS', `task ${t.id} already exists`, {
          fix: 'open it with openTask(id) or choose another id',
          cliFix: 'pgferry resume <task id> continues it',
        })
      }
      throw error
    }
  }

  /** {@inheritDoc ProgressStore.loadTask} */
  async loadTask(id: string): Promise<TaskRecord | undefined> {
    if (await this.#absent()) return undefined
    const r = await this.#query<TaskRow>(`SELECT * FROM $S.task WHERE id = $1`, [id])
    const row = r.rows[0]
    return row === undefined ? undefined : toRecord(row)
  }

  /** {@inheritDoc ProgressStore.listTasks} */
  async listTasks(): Promise<TaskRecord[]> {
    if (await this.#absent()) return []
    const r = await this.#query<TaskRow>(`SELECT * FROM $S.task ORDER BY created_at, id`)
    return r.rows.map(toRecord)
  }

  /** {@inheritDoc ProgressStore.updateTask} */
  async updateTask(id: string, patch: TaskPatch, expectState?: TaskState): Promise<boolean> {
    const sets: string[] = ['updated_at = now()']
    const values: unknown[] = [id]
    const add = (col: string, v: unknown): void => {
      values.push(v)
      sets.push(`${col} = $${values.length}`)
    }
    if ('state' in patch) add('state', patch.state)
    if ('stage' in patch) add('stage', patch.stage ?? null)
    if ('error' in patch) add('error', patch.error ?? null)
    if ('skippedChecks' in patch) add('skipped_checks', JSON.stringify(patch.skippedChecks ?? []))
    let where = 'id = $1'
    if (expectState !== undefined) {
      values.push(expectState)
      where += ` AND state = $${values.length}`
    }
    const r = await this.#query(`UPDATE $S.task SET ${sets.join(', ')} WHERE ${where}`, values)
    return r.rowCount === 1
  }

  /** {@inheritDoc ProgressStore.deleteTask} */
  async deleteTask(id: string): Promise<void> {
    await this.#query(`DELETE FROM $S.task WHERE id = $1`, [id])
  }

  /** {@inheritDoc ProgressStore.getProgress} */
  async getProgress(taskId: string, kind: string): Promise<ProgressEntry[]> {
    if (await this.#absent()) return []
    const r = await this.#query<{ kind: string; key: string; value: unknown }>(
      `SELECT kind, key, value FROM $S.progress WHERE task_id = $1 AND kind = $2 ORDER BY key`,
      [taskId, kind],
    )
    return r.rows
  }

  /** {@inheritDoc ProgressStore.putProgress} */
  async putProgress(taskId: string, entries: readonly ProgressEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.#query(
      `INSERT INTO $S.progress (task_id, kind, key, value)
       SELECT $1, e.kind, e.key, e.value FROM jsonb_to_recordset($2::jsonb) AS e(kind text, key text, value jsonb)
       ON CONFLICT (task_id, kind, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [
        taskId,
        JSON.stringify(entries.map((e) => ({ kind: e.kind, key: e.key, value: e.value ?? null }))),
      ],
    )
  }

  /** {@inheritDoc ProgressStore.deleteProgress} */
  async deleteProgress(taskId: string, kind: string, key?: string): Promise<void> {
    if (key === undefined)
      await this.#query(`DELETE FROM $S.progress WHERE task_id = $1 AND kind = $2`, [taskId, kind])
    else
      await this.#query(`DELETE FROM $S.progress WHERE task_id = $1 AND kind = $2 AND key = $3`, [
        taskId,
        kind,
        key,
      ])
  }

  /** {@inheritDoc ProgressStore.appendEvent} */
  async appendEvent(taskId: string, event: StoredEvent): Promise<void> {
    await this.#query(`INSERT INTO $S.event (task_id, at, name, payload) VALUES ($1, $2, $3, $4)`, [
      taskId,
      event.at,
      event.name,
      JSON.stringify(event.payload),
    ])
  }

  /** {@inheritDoc ProgressStore.listEvents} */
  async listEvents(taskId: string): Promise<StoredEvent[]> {
    if (await this.#absent()) return []
    const r = await this.#query<{ at: Date; name: string; payload: Record<string, unknown> }>(
      `SELECT at, name, payload FROM $S.event WHERE task_id = $1 ORDER BY id`,
      [taskId],
    )
    return r.rows
  }

  readonly #q: lease.StoreQuery = (text, values) => this.#query(text, values)

  /** {@inheritDoc ProgressStore.acquireLease} */
  acquireLease(
    taskId: string,
    claim: LeaseClaim,
    options: LeaseAcquireOptions,
  ): Promise<LeaseAcquireResult> {
    return lease.acquireLease(this.#q, taskId, claim, options)
  }

  /** {@inheritDoc ProgressStore.renewLease} */
  renewLease(
    taskId: string,
    token: string,
    live?: Readonly<Record<string, unknown>>,
  ): Promise<boolean> {
    return lease.renewLease(this.#q, taskId, token, live)
  }

  /** {@inheritDoc ProgressStore.releaseLease} */
  releaseLease(taskId: string, token: string): Promise<void> {
    return lease.releaseLease(this.#q, taskId, token)
  }

  /** {@inheritDoc ProgressStore.getLease} */
  async getLease(taskId: string): Promise<TaskLease | undefined> {
    if (await this.#absent()) return undefined
    return lease.getLease(this.#q, taskId)
  }

  /** {@inheritDoc ProgressStore.close} */
  async close(): Promise<void> {
    const pool = this.#pool
    this.#pool = undefined
    this.#init = undefined
    await pool?.end()
  }
}
