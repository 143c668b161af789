/**
 * Sessions and transactions that matter before a replication slot is created: slot creation waits
 * until every transaction running at that moment ends, so a long or prepared transaction stalls
 * it. All versions ≥ 10 (`backend_type` exists from v10). A role without `pg_read_all_stats` sees
 * other roles' sessions without their `xact_start`, so they cannot be reported.
 */
import type pg from 'pg'

/** A transaction open longer than the threshold. */
export interface LongTransaction {
  readonly pid: number
  readonly database: string | null
  readonly user: string | null
  readonly state: string | null
  readonly seconds: number
}

/** Transactions open for at least `seconds`, other than this session's (v10+). */
export async function readLongTransactions(
  client: pg.Client,
  seconds: number,
): Promise<LongTransaction[]> {
  const r = await client.query<LongTransaction>(
    `SELECT pid, datname AS database, usename AS "user", state,
            extract(epoch FROM now() - xact_start)::float8 AS seconds
       FROM pg_stat_activity
      WHERE xact_start IS NOT NULL AND xact_start <= now() - make_interval(secs => $1)
        AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      ORDER BY xact_start`,
    [seconds],
  )
  return r.rows
}

/** A prepared (two-phase) transaction. */
export interface PreparedTransaction {
  readonly gid: string
  readonly database: string
  readonly owner: string
}

/** Every prepared transaction of the instance (v10+). */
export async function readPreparedTransactions(client: pg.Client): Promise<PreparedTransaction[]> {
  const r = await client.query<PreparedTransaction>(
    `SELECT gid, database, owner FROM pg_prepared_xacts ORDER BY prepared`,
  )
  return r.rows
}

/** Replication slots and WAL senders already in use (v10+). */
export async function readReplicationUse(
  client: pg.Client,
): Promise<{ slots: number; senders: number }> {
  const r = await client.query<{ slots: number; senders: number }>(
    `SELECT (SELECT count(*) FROM pg_replication_slots)::int AS slots,
            (SELECT count(*) FROM pg_stat_replication)::int AS senders`,
  )
  return r.rows[0] ?? { slots: 0, senders: 0 }
}
