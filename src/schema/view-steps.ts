/**
 * Views and materialized views (pre-data), and the refresh of each populated materialized view
 * (post-data): a materialized view is created WITH NO DATA and refreshed once its tables are loaded.
 */
import { quoteIdent } from '../pg/quote.js'
import { storageName, targetName, withOptions } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { relationKey, schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add the steps of every selected view and materialized view. */
export function addViewSteps(plan: StepPlan, cat: SourceCatalog): void {
  for (const rel of cat.selection.relations) {
    if (rel.kind !== 'v' && rel.kind !== 'm') continue
    const info = cat.relations.get(rel.oid)
    if (info === undefined) continue
    if (info.viewDefinition === null) {
      plan.unsupportedObject(
        `${rel.schema}.${rel.name}`,
        'the source did not return its definition',
      )
      continue
    }
    const q = targetName(rel)
    const key = relationKey(rel.targetSchema, rel.name)
    const body = info.viewDefinition.trim().replace(/;$/, '')
    const opts = withOptions(info.options)
    const withClause = opts.length > 0 ? ` WITH (${opts.join(', ')})` : ''
    const matview = rel.kind === 'm'
    const keyword = matview ? 'MATERIALIZED VIEW' : 'VIEW'
    const sql = matview
      ? [
          `CREATE MATERIALIZED VIEW ${q}${info.accessMethod !== null ? ` USING ${quoteIdent(info.accessMethod)}` : ''}${withClause} AS\n${body}\nWITH NO DATA`,
        ]
      : [`CREATE VIEW ${q}${withClause} AS\n${body}`]
    const cols = cat.columns.get(rel.oid) ?? []
    for (const c of cols) {
      if (c.default !== null)
        sql.push(`ALTER VIEW ${q} ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${c.default}`)
      if (matview && c.storage !== null)
        sql.push(
          `ALTER MATERIALIZED VIEW ${q} ALTER COLUMN ${quoteIdent(c.name)} SET STORAGE ${storageName(c.storage)}`,
        )
      if (matview && c.statistics !== null && c.statistics >= 0)
        sql.push(
          `ALTER MATERIALIZED VIEW ${q} ALTER COLUMN ${quoteIdent(c.name)} SET STATISTICS ${c.statistics}`,
        )
    }
    sql.push(...plan.owner(keyword, q, info.owner))
    sql.push(...plan.comment(keyword, q, 'pg_class', rel.oid))
    for (const c of cols)
      sql.push(...plan.comment('COLUMN', `${q}.${quoteIdent(c.name)}`, 'pg_class', rel.oid, c.num))
    sql.push(...plan.grants('TABLE', q, info.owner, cat.acls.relations.get(rel.oid)))
    for (const a of cat.acls.columns.get(rel.oid) ?? [])
      sql.push(...plan.grants('TABLE', q, info.owner, a))
    const step = plan.add(key, matview ? 'materialized-view' : 'view', q, 'pre-data', sql, {
      dependsOn: [schemaKey(rel.targetSchema)],
    })
    step.relations.add(rel.oid)
    plan.ref('pg_class', rel.oid, key)
    if (matview && info.populated) {
      plan.add(
        `matview-refresh:${q}`,
        'matview-refresh',
        q,
        'post-data',
        [`REFRESH MATERIALIZED VIEW ${q}`],
        {
          dependsOn: [key],
        },
      )
    }
  }
}
