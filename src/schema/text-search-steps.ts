/**
 * Text search dictionaries and configurations (pre-data: a column default or an index expression
 * may name a configuration). A configuration is created empty from its parser, then given the
 * source's token mappings.
 */
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add a step per dictionary and configuration of the selected schemas. */
export function addTextSearchSteps(plan: StepPlan, cat: SourceCatalog): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  const target = (schema: string, name: string): string =>
    quoteQualified(targetSchema.get(schema) ?? schema, name)
  for (const d of cat.tsDictionaries) {
    const schema = targetSchema.get(d.schema)
    if (schema === undefined) continue
    const q = quoteQualified(schema, d.name)
    const key = `ts-dictionary:${q}`
    const options = d.options === null || d.options === '' ? '' : `, ${d.options}`
    plan.add(
      key,
      'text-search-dictionary',
      q,
      'pre-data',
      [
        `CREATE TEXT SEARCH DICTIONARY ${q} (TEMPLATE = ${d.template}${options})`,
        ...plan.owner('TEXT SEARCH DICTIONARY', q, d.owner),
        ...plan.comment('TEXT SEARCH DICTIONARY', q, 'pg_ts_dict', d.oid),
      ],
      { dependsOn: [schemaKey(schema)] },
    )
    plan.ref('pg_ts_dict', d.oid, key)
  }
  for (const c of cat.tsConfigurations) {
    const schema = targetSchema.get(c.schema)
    if (schema === undefined) continue
    const q = quoteQualified(schema, c.name)
    const key = `ts-configuration:${q}`
    const sql = [`CREATE TEXT SEARCH CONFIGURATION ${q} (PARSER = ${c.parser})`]
    const deps = [schemaKey(schema)]
    for (const m of c.mappings) {
      const dicts = m.dictionaries.map((oid) => {
        const n = cat.tsDictionaryNames.get(oid)
        const step = plan.stepOf('pg_ts_dict', oid)
        if (step !== undefined) deps.push(step)
        return n === undefined ? String(oid) : target(n.schema, n.name)
      })
      sql.push(
        `ALTER TEXT SEARCH CONFIGURATION ${q} ADD MAPPING FOR ${quoteIdent(m.token)} WITH ${dicts.join(', ')}`,
      )
    }
    sql.push(...plan.owner('TEXT SEARCH CONFIGURATION', q, c.owner))
    sql.push(...plan.comment('TEXT SEARCH CONFIGURATION', q, 'pg_ts_config', c.oid))
    plan.add(key, 'text-search-configuration', q, 'pre-data', sql, { dependsOn: deps })
    plan.ref('pg_ts_config', c.oid, key)
  }
}
