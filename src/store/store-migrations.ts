/**
 * The store's DDL, versioned: each entry of MIGRATIONS runs once, in order, in one transaction
 * under an advisory lock, so two processes opening the store at once do not race.
 */
import type pg from 'pg'
import { PgferryError, sqlStateOf } from '../errors.js'
import { quoteIdent } from '../pg/quote.js'
import type { StoreLocation } from './store-denied.js'
import { LEASE_MIGRATION } from './pg-lease.js'

/** Store DDL by version; `$S` is the quoted schema name. Append only, never edit a shipped entry. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE $S.task (
     id text PRIMARY KEY,
     name text NOT NULL,
     type text NOT NULL,
     state text NOT NULL,
     config jsonb NOT NULL,
     tags jsonb NOT NULL DEFAULT '{}',
     stage text,
     error text,
     skipped_checks jsonb NOT NULL DEFAULT '[]',
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE $S.progress (
     task_id text NOT NULL REFERENCES $S.task(id) ON DELETE CASCADE,
     kind text NOT NULL,
     key text NOT NULL,
     value jsonb,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (task_id, kind, key))`,
  `CREATE TABLE $S.event (
     id bigserial PRIMARY KEY,
     task_id text NOT NULL REFERENCES $S.task(id) ON DELETE CASCADE,
     at timestamptz NOT NULL,
     name text NOT NULL,
     payload jsonb NOT NULL)`,
  `CREATE INDEX ON $S.event (task_id, id)`,
  LEASE_MIGRATION,
]

/** Bring the store schema to the newest version, on a client of its own. */
export async function migrateStore(client: pg.PoolClient, where: StoreLocation): Promise<void> {
  const schema = quoteIdent(where.schema)
  const steps = [
    `SELECT pg_advisory_xact_lock(hashtext('pgferry.store.' || $1::text))`,
    `CREATE SCHEMA IF NOT EXISTS $S`,
    `CREATE TABLE IF NOT EXISTS $S.store_version (version int NOT NULL)`,
  ]
  try {
    await client.query('BEGIN')
    for (const s of steps)
      await client.query(s.replaceAll('$S', schema), s.includes('$1') ? [where.schema] : [])
    const v = await client.query<{ version: number }>(`SELECT version FROM ${schema}.store_version`)
    let version = v.rows[0]?.version ?? 0
    if (v.rowCount === 0) await client.query(`INSERT INTO ${schema}.store_version VALUES (0)`)
    for (; version < MIGRATIONS.length; version++) {
      await client.query((MIGRATIONS[version] ?? '').replaceAll('$S', schema))
    }
    await client.query(`UPDATE ${schema}.store_version SET version = $1`, [version])
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    if (sqlStateOf(error) === '42501') {
      throw new PgferryError(
        'PGFERRY_STORE_FAILED',
        `cannot create the progress store schema ${where.schema} in database ${where.database}: permission denied`,
        {
          cause: error,
          fix: `GRANT CREATE ON DATABASE ${quoteIdent(where.database)} TO ${quoteIdent(where.user)};`,
        },
      )
    }
    throw error
  }
}
