/**
 * Fault tests hold a backend in place with a lock it waits on, instead of racing a running stage
 * for it (a fault test creates the condition it needs). A session here takes the lock; the stage's
 * statement then waits on it, visibly, for as long as the test needs.
 */
import type pg from 'pg'
import { quoteIdent } from '../../src/pg/quote.js'
import { eventually } from './incremental-fixture.js'

/** Open a transaction on `client` and take `mode` on `table`; `release()` commits it. */
export async function holdLock(
  client: pg.Client,
  table: string,
  mode: 'SHARE' | 'ACCESS EXCLUSIVE',
): Promise<{ release: () => Promise<void> }> {
  await client.query('BEGIN')
  await client.query(`LOCK TABLE ${quoteIdent(table)} IN ${mode} MODE`)
  return { release: async () => void (await client.query('COMMIT')) }
}

const HOLD_KEY = 4_242_001

/**
 * Make every row written into `table` wait on an advisory lock that `client` holds, until
 * `release()`: the writing statement (a COPY FROM, an apply INSERT) then stays in place, waiting on
 * a lock, whatever ran before it in its transaction (a TRUNCATE, say). The trigger fires under
 * `session_replication_role = replica` too (ENABLE ALWAYS); it stays, a no-op once released (a
 * DROP would queue behind the writer it just let go).
 */
export async function holdInserts(
  client: pg.Client,
  table: string,
  key = HOLD_KEY,
): Promise<{ release: () => Promise<void> }> {
  const t = quoteIdent(table)
  // one function and trigger per key: holds with different keys are released one by one
  const fn = `public.pgferry_test_hold_${key}`
  const trigger = quoteIdent(`pgferry_test_hold_${key}`)
  await client.query(
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS
       $$BEGIN PERFORM pg_advisory_xact_lock_shared(${key}); RETURN NEW; END$$;
     CREATE TRIGGER ${trigger} BEFORE INSERT ON ${t}
       FOR EACH ROW EXECUTE PROCEDURE ${fn}();
     ALTER TABLE ${t} ENABLE ALWAYS TRIGGER ${trigger};
     SELECT pg_advisory_lock(${key});`,
  )
  return {
    release: async () => {
      await client.query(`SELECT pg_advisory_unlock(${key})`)
    },
  }
}

/**
 * The pid of a backend of `db` whose query matches `pattern` (LIKE) and that waits on a heavyweight
 * lock; polls with a generous bound (the stage may be slow on a busy machine, never skipped).
 */
export async function waitForLockedBackend(
  client: pg.Client,
  db: string,
  pattern: string,
  ms = 60_000,
): Promise<number> {
  let pid: number | undefined
  try {
    await eventually(async () => {
      const r = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = $1 AND query LIKE $2 AND wait_event_type = 'Lock' LIMIT 1`,
        [db, pattern],
      )
      pid = r.rows[0]?.pid
      return pid !== undefined
    }, ms)
  } catch (error) {
    // say what the backends were doing instead
    const r = await client.query(
      `SELECT pid, state, wait_event_type, wait_event, left(query, 120) AS query
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [db],
    )
    throw new Error(
      `no backend of ${db} ran ${pattern} waiting on a lock: ${JSON.stringify(r.rows)}`,
      {
        cause: error,
      },
    )
  }
  return pid as number
}

/** Terminate `pid` and wait until it is gone, so a lock released afterwards cannot let it run on. */
export async function terminateBackend(client: pg.Client, pid: number): Promise<void> {
  await client.query('SELECT pg_terminate_backend($1)', [pid])
  await eventually(
    async () =>
      (await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0,
    60_000,
  )
}
