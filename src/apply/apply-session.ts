/**
 * The settings of an apply connection on the target: no user triggers or FK checks (they fired on
 * the source already; ARCHITECTURE.md), `search_path = pg_catalog` so the type names `format_type`
 * prints on this connection are resolved the same way when used as casts, and ISO dates /
 * postgres intervals for the values' text (what the source's walsender is asked to print), and
 * commits that are flushed before they return.
 */
import type pg from 'pg'
import type { StageContext } from '../model/stage.js'

/** Configure `target` for applying changes to `database`. */
export async function prepareApplySession(
  ctx: StageContext,
  target: pg.Client,
  database: string,
): Promise<void> {
  try {
    await target.query('SET session_replication_role = replica')
  } catch {
    ctx.warn(
      'PGFERRY_APPLY_REPLICA_ROLE',
      `cannot SET session_replication_role = replica on target database ${database} (needs superuser before v15, or SET privilege); target triggers and FK checks fire on replicated changes`,
    )
  }
  await target.query(
    `SET search_path = pg_catalog; SET datestyle = ISO; SET intervalstyle = postgres; SET lock_timeout = 0`,
  )
  // An apply COMMIT is confirmed to the source right after it returns (ARCHITECTURE.md), so
  // it must be flushed by then, whatever the target role or database says: with
  // synchronous_commit = off a target crash would lose transactions the source has already
  // recycled. Every other value flushes locally before COMMIT returns, so it is kept (on,
  // remote_write and remote_apply also wait for the target's synchronous standbys, as the user
  // asked). 'local' costs one WAL flush per apply transaction, which the batching spreads over
  // many source transactions.
  const sc = await target.query<{ v: string }>(`SELECT current_setting('synchronous_commit') AS v`)
  if (sc.rows[0]?.v === 'off') await target.query(`SET synchronous_commit = local`)
}
