/**
 * Materialized views end in the source's state: refreshed when the source's is populated (in
 * dependency order, a matview after those it reads), emptied (`WITH NO DATA`) when the source's is
 * not but the target's is. An application reading a never-refreshed matview gets an error on the
 * source, and must get the same on the target.
 *
 * Used twice: after the full load, for the matviews its post-data plan did not refresh (the
 * target's schema was made by other means, or the matview was refreshed on the source since); and
 * at cutover, for every migrated matview, since logical replication carries no REFRESH and a
 * matview refreshed on the source during sync would stay as the full load left it.
 */
import type pg from 'pg'
import { readMatviewStates } from '../catalog/matview-states.js'
import { quoteQualified } from '../pg/quote.js'

/** A migrated matview: its source oid and its name on the target. */
export interface MigratedMatview {
  readonly oid: number
  readonly name: string
  readonly targetSchema: string
}

/** Align the target's matviews with the source's; returns how many were refreshed. */
export async function refreshMatviews(
  source: pg.Client,
  target: pg.Client,
  matviews: readonly MigratedMatview[],
): Promise<number> {
  const byOid = new Map(matviews.map((m) => [m.oid, m]))
  let refreshed = 0
  for (const state of await readMatviewStates(
    source,
    matviews.map((m) => m.oid),
  )) {
    const m = byOid.get(state.oid)
    if (m === undefined) continue
    const q = quoteQualified(m.targetSchema, m.name)
    if (state.populated) {
      await target.query(`REFRESH MATERIALIZED VIEW ${q}`)
      refreshed++
      continue
    }
    const r = await target.query<{ populated: boolean | null }>(
      `SELECT (SELECT relispopulated FROM pg_class WHERE oid = to_regclass($1)) AS populated`,
      [q],
    )
    if (r.rows[0]?.populated === true)
      await target.query(`REFRESH MATERIALIZED VIEW ${q} WITH NO DATA`)
  }
  return refreshed
}
