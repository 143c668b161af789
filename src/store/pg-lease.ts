/**
 * The task lease in the PostgreSQL store (model/lease.ts): one row per task in `$S.lease`. Every
 * decision is one statement, judged by the server's clock, so two processes on hosts whose clocks
 * disagree still agree on what is stale, and two claims at once cannot both win.
 */
import type pg from 'pg'
import type {
  LeaseAcquireOptions,
  LeaseAcquireResult,
  LeaseClaim,
  TaskLease,
} from '../model/lease.js'

/** The store's query function (`$S` is the quoted schema). */
export type StoreQuery = <R extends pg.QueryResultRow>(
  text: string,
  values?: unknown[],
) => Promise<pg.QueryResult<R>>

/** The lease table's DDL, a store migration. */
export const LEASE_MIGRATION = `CREATE TABLE $S.lease (
     task_id text PRIMARY KEY REFERENCES $S.task(id) ON DELETE CASCADE,
     token text NOT NULL,
     host text NOT NULL,
     pid int NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(),
     beat_at timestamptz NOT NULL DEFAULT now(),
     live jsonb)`

interface LeaseRow {
  token: string
  host: string
  pid: number
  started_at: Date
  beat_at: Date
  live: Record<string, unknown> | null
}

export async function acquireLease(
  query: StoreQuery,
  taskId: string,
  claim: LeaseClaim,
  options: LeaseAcquireOptions,
): Promise<LeaseAcquireResult> {
  // a lease released between the refused claim and the read is free: claim again (bounded)
  for (let attempt = 0; attempt < 3; attempt++) {
    const won = await query(
      `INSERT INTO $S.lease AS l (task_id, token, host, pid) VALUES ($1, $2, $3, $4)
       ON CONFLICT (task_id) DO UPDATE SET token = EXCLUDED.token, host = EXCLUDED.host,
         pid = EXCLUDED.pid, beat_at = now(),
         started_at = CASE WHEN l.token = EXCLUDED.token THEN l.started_at ELSE now() END
       WHERE l.token = EXCLUDED.token OR l.token = $6
          OR l.beat_at < now() - make_interval(secs => $5::float8 / 1000)
       RETURNING 1`,
      [taskId, claim.token, claim.host, claim.pid, options.staleAfterMs, options.replace ?? null],
    )
    if (won.rowCount === 1) return { acquired: true }
    const held = await getLease(query, taskId)
    if (held !== undefined) return { acquired: false, held }
  }
  return { acquired: false, held: (await getLease(query, taskId)) as TaskLease }
}

export async function renewLease(
  query: StoreQuery,
  taskId: string,
  token: string,
  live?: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  const r = await query(
    `UPDATE $S.lease SET beat_at = now(), live = coalesce($3::jsonb, live)
      WHERE task_id = $1 AND token = $2`,
    [taskId, token, live === undefined ? null : JSON.stringify(live)],
  )
  return r.rowCount === 1
}

export async function releaseLease(
  query: StoreQuery,
  taskId: string,
  token: string,
): Promise<void> {
  await query(`DELETE FROM $S.lease WHERE task_id = $1 AND token = $2`, [taskId, token])
}

export async function getLease(query: StoreQuery, taskId: string): Promise<TaskLease | undefined> {
  const r = await query<LeaseRow>(
    `SELECT token, host, pid, started_at, beat_at, live FROM $S.lease WHERE task_id = $1`,
    [taskId],
  )
  const row = r.rows[0]
  if (row === undefined) return undefined
  return {
    token: row.token,
    host: row.host,
    pid: row.pid,
    startedAt: row.started_at,
    beatAt: row.beat_at,
    ...(row.live === null ? {} : { live: row.live }),
  }
}
