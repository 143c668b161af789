/**
 * `ALTER TABLE … REPLICA IDENTITY` on the source, for the tables pgferry gives an identity for the
 * task's life (task-publication.ts) and gives it back (remove-source-objects.ts). The statement
 * takes an ACCESS EXCLUSIVE lock: behind a long transaction it would queue every later query of
 * the application on that table, so it waits a bounded time and then fails with the cause.
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import { quoteQualified } from '../pg/quote.js'

/** How long the ALTER may wait for its lock. */
export const IDENTITY_LOCK_TIMEOUT = '10s'

/** Set a table's replica identity, waiting at most {@link IDENTITY_LOCK_TIMEOUT} for the lock. */
export async function alterReplicaIdentity(
  client: pg.Client,
  database: string,
  schema: string,
  table: string,
  identity: 'FULL' | 'DEFAULT' | 'NOTHING',
): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query(`SET LOCAL lock_timeout = '${IDENTITY_LOCK_TIMEOUT}'`)
    await client.query(`ALTER TABLE ${quoteQualified(schema, table)} REPLICA IDENTITY ${identity}`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw new PgferryError(
      'PGFERRY_SOURCE_NO_REPLICA_IDENTITY',
      `could not set REPLICA IDENTITY ${identity} on ${database}.${schema}.${table}: ${messageOf(error)}`,
      {
        cause: error,
        retryable: true,
        fix: `end the transactions that hold locks on that table (pg_locks) and run the same call again; pgferry keeps the change recorded until it is made`,
      },
    )
  }
}
