/** Post-data steps of extended statistics objects. */
import { quoteQualified } from '../pg/quote.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { relationKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/**
 * Extended statistics: post-data (they describe the data), in the table's target schema when the
 * statistics object lives in the table's schema, else in its own.
 */
export function addStatisticsSteps(plan: StepPlan, cat: SourceCatalog): void {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const st of cat.statistics) {
    const rel = selected.get(st.table)
    if (rel === undefined) continue
    const q = quoteQualified(targetSchema.get(st.schema) ?? st.schema, st.name)
    let def = st.definition
    if (def.startsWith(`CREATE STATISTICS ${st.spelling}`))
      def = `CREATE STATISTICS ${q}${def.slice(`CREATE STATISTICS ${st.spelling}`.length)}`
    const fromAt = def.lastIndexOf(' FROM ')
    if (fromAt >= 0) def = `${def.slice(0, fromAt)} FROM ${targetName(rel)}`
    const sql = [def]
    if (st.target !== null) sql.push(`ALTER STATISTICS ${q} SET STATISTICS ${st.target}`)
    sql.push(...plan.owner('STATISTICS', q, st.owner))
    sql.push(...plan.comment('STATISTICS', q, 'pg_statistic_ext', st.oid))
    const key = `statistics:${q}`
    plan.add(key, 'statistics', q, 'post-data', sql, {
      dependsOn: [relationKey(rel.targetSchema, rel.name)],
      relations: [rel.oid],
    })
    plan.ref('pg_statistic_ext', st.oid, key)
  }
}
