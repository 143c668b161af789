/**
 * Whether anything on the target sees the order in which the apply connection changes a table:
 * then its changes cannot be merged or moved past another table's (change-merger.ts).
 *
 * Under `session_replication_role = replica` (apply-session.ts) ordinary triggers, rules and the
 * FK checks (internal triggers) do not fire; triggers and rules set ENABLE ALWAYS or ENABLE REPLICA
 * do, and they may read or write other tables. Without the replica role (the target user may not
 * set it) every trigger and FK check fires. For a partitioned target the partitions count too:
 * their triggers fire for rows routed to them. Serves targets 12+ (`pg_partition_tree`).
 */
import type pg from 'pg'

/** True when a change of `schema.name` on this connection can be observed in order. */
export async function readOrderObserved(
  client: pg.Client,
  schema: string,
  name: string,
): Promise<boolean> {
  const r = await client.query<{ observed: boolean }>(
    `WITH rel AS (
       SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2),
     -- pg_partition_tree gives no row for a table that is neither partitioned nor a partition
     tree AS (SELECT oid AS relid FROM rel UNION SELECT t.relid FROM rel, pg_partition_tree(rel.oid) t)
     SELECT current_setting('session_replication_role') <> 'replica'
         OR EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid IN (SELECT relid FROM tree)
                       AND g.tgenabled IN ('A', 'R'))
         OR EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.ev_class IN (SELECT relid FROM tree)
                       AND w.ev_enabled IN ('A', 'R')) AS observed`,
    [schema, name],
  )
  return r.rows[0]?.observed !== false
}
