/**
 * The target ledger's tables in a target database (model/target-ledger.ts says what they record and
 * why they live there): created by the stage that needs them, on first use, and dropped once no
 * task has a row in them.
 *
 * Two advisory locks per ledger schema keep the drop from pulling a table from under another task:
 * - `CREATE`, taken by the transaction that creates tables and by the one that drops them, so the
 *   two never interleave (nor two creators: `CREATE TABLE IF NOT EXISTS` run at once by two
 *   sessions fails on the catalog's unique index);
 * - `USE`, held *shared* by every session that writes the ledger (the full load's target session of
 *   a database, an apply connection that keeps its position in `apply_progress`) from before it
 *   creates the tables until it ends. The drop takes it exclusively without waiting: while another
 *   task's stage runs, the tables stay, and that task drops them at its own end.
 */
import type pg from 'pg'
import { sqlStateOf } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import { LEDGER_TABLES, type LedgerTable, type TargetLedger } from '../model/target-ledger.js'

/** The second key of the ledger's two advisory locks (the first: the schema name's hash). */
const CREATE_LOCK = 1
const USE_LOCK = 2

/** The comment on a schema the ledger created, so that only such a schema is dropped with it. */
const CREATED_MARK = 'pgferry target ledger (dropped with the last task that uses it)'

/** Each ledger table's columns: a task's rows are keyed by `task_id`. */
const COLUMNS: Readonly<Record<LedgerTable, string>> = {
  copyDone: `task_id text NOT NULL,
       source_db text NOT NULL,
       rel_oid bigint NOT NULL,
       chunk int NOT NULL,
       chunks int NOT NULL,
       epoch text NOT NULL,
       rows bigint NOT NULL,
       bytes bigint NOT NULL,
       sync_lsn text,
       done_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (task_id, source_db, rel_oid, chunk)`,
  postDataDone: `task_id text NOT NULL,
       step_key text NOT NULL,
       done_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (task_id, step_key)`,
  applyProgress: `task_id text NOT NULL,
       source_db text NOT NULL,
       end_lsn pg_lsn NOT NULL,
       commit_time timestamptz NOT NULL,
       PRIMARY KEY (task_id, source_db)`,
}

/** The ledger table `table` of `ledger`, qualified and quoted, for SQL text. */
export function ledgerTable(ledger: TargetLedger, table: LedgerTable): string {
  return `${quoteIdent(ledger.schema)}.${quoteIdent(LEDGER_TABLES[table])}`
}

/**
 * Create `tables` of the ledger in the database `client` is on (idempotent), and make `client`'s
 * session a user of the ledger until it ends (see the file comment).
 */
export async function ensureLedger(
  client: pg.Client,
  ledger: TargetLedger,
  tables: readonly LedgerTable[],
): Promise<void> {
  await client.query(`SELECT pg_advisory_lock_shared(hashtext($1), ${USE_LOCK})`, [ledger.schema])
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), ${CREATE_LOCK})`, [
      ledger.schema,
    ])
    const schema = quoteIdent(ledger.schema)
    const found = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [
      ledger.schema,
    ])
    if (found.rowCount === 0) {
      await client.query(`CREATE SCHEMA ${schema}`)
      await client.query(`COMMENT ON SCHEMA ${schema} IS ${quoteLiteral(CREATED_MARK)}`)
    }
    for (const t of tables)
      await client.query(`CREATE TABLE IF NOT EXISTS ${ledgerTable(ledger, t)} (${COLUMNS[t]})`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

/** The ledger tables that exist in `client`'s database. */
async function existingTables(client: pg.Client, ledger: TargetLedger): Promise<LedgerTable[]> {
  const r = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname = ANY($2::text[])`,
    [ledger.schema, Object.values(LEDGER_TABLES)],
  )
  const names = new Set(r.rows.map((x) => x.relname))
  return (Object.keys(LEDGER_TABLES) as LedgerTable[]).filter((t) => names.has(LEDGER_TABLES[t]))
}

/**
 * Remove task `taskId`'s rows from the ledger in `client`'s database (of source database
 * `sourceDb` only, when given; `postdata_done` rows belong to the target database), then drop what
 * no task uses any more (see the file comment). Idempotent; a database without a ledger is left
 * as it is.
 */
export async function releaseLedger(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  sourceDb?: string,
): Promise<void> {
  const tables = await existingTables(client, ledger)
  for (const t of tables) {
    const bySource = sourceDb !== undefined && t !== 'postDataDone'
    await client.query(
      `DELETE FROM ${ledgerTable(ledger, t)} WHERE task_id = $1${bySource ? ' AND source_db = $2' : ''}`,
      bySource ? [taskId, sourceDb] : [taskId],
    )
  }
  if (tables.length > 0) await dropUnused(client, ledger)
}

/** Drop the ledger tables with no row, and the schema the ledger created once it is empty. */
async function dropUnused(client: pg.Client, ledger: TargetLedger): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), ${CREATE_LOCK})`, [
      ledger.schema,
    ])
    const free = await client.query<{ free: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext($1), ${USE_LOCK}) AS free`,
      [ledger.schema],
    )
    if (free.rows[0]?.free === true) {
      for (const t of await existingTables(client, ledger)) {
        const table = ledgerTable(ledger, t)
        const rows = await client.query(`SELECT 1 FROM ${table} LIMIT 1`)
        if (rows.rowCount === 0) await client.query(`DROP TABLE ${table}`)
      }
      await dropCreatedSchema(client, ledger)
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    // another role's ledger tables: left for that role's tasks to drop
    if (sqlStateOf(error) !== '42501') throw error
  }
}

/** Inside dropUnused's transaction: the schema, when the ledger created it and it is empty. */
async function dropCreatedSchema(client: pg.Client, ledger: TargetLedger): Promise<void> {
  const r = await client.query<{ mark: string | null }>(
    `SELECT obj_description(oid, 'pg_namespace') AS mark FROM pg_namespace WHERE nspname = $1`,
    [ledger.schema],
  )
  if (r.rows[0]?.mark !== CREATED_MARK) return
  await client.query('SAVEPOINT ledger_schema')
  try {
    // RESTRICT: anything else in it (a store's tables, the caller's objects) keeps it
    await client.query(`DROP SCHEMA ${quoteIdent(ledger.schema)} RESTRICT`)
  } catch (error) {
    if (sqlStateOf(error) !== '2BP01') throw error
    await client.query('ROLLBACK TO SAVEPOINT ledger_schema')
  }
}
