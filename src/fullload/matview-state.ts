/**
 * Materialized views end the load in the source's populated state. The structure stage creates
 * each one `WITH NO DATA` and plans a refresh (post-data) for those populated on the source; a
 * matview that plan does not refresh (the target's schema was made by other means, or the
 * matview was refreshed on the source since) is refreshed here when it is populated on the source,
 * and emptied (`WITH NO DATA`) when it is not but the target's is: an application reading a
 * never-refreshed matview gets an error on the source, and must get the same on the target.
 */
import type pg from 'pg'
import type { SelectedRelation } from '../catalog/selection.js'
import { readPopulated } from '../catalog/matview-populated.js'
import { quoteQualified } from '../pg/quote.js'

/** Align the target's matviews `matviews` with the source, but those the plan refreshes. */
export async function alignMatviews(
  src: pg.Client,
  tgt: pg.Client,
  matviews: readonly SelectedRelation[],
  planned: ReadonlySet<string>,
): Promise<void> {
  const todo = [...matviews]
    .sort((a, b) => a.oid - b.oid)
    .map((m) => ({
      source: quoteQualified(m.schema, m.name),
      target: quoteQualified(m.targetSchema, m.name),
    }))
    .filter((m) => !planned.has(m.target))
  if (todo.length === 0) return
  const onSource = await readPopulated(
    src,
    todo.map((m) => m.source),
  )
  const onTarget = await readPopulated(
    tgt,
    todo.map((m) => m.target),
  )
  for (const m of todo) {
    if (onSource.get(m.source) === true) {
      await tgt.query(`REFRESH MATERIALIZED VIEW ${m.target}`)
    } else if (onTarget.get(m.target) === true) {
      await tgt.query(`REFRESH MATERIALIZED VIEW ${m.target} WITH NO DATA`)
    }
  }
}
