/**
 * User-defined types (pre-data): enum, composite, domain (with its CHECK constraints), range.
 * Base types need C code and range types with a canonical function need a shell type first: both
 * are reported, not created.
 */
import { quoteIdent, quoteLiteral, quoteQualified } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { schemaKey, typeKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add a step per user-defined collation of the selected schemas. */
export function addCollationSteps(plan: StepPlan, cat: SourceCatalog): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const c of cat.collations) {
    const schema = targetSchema.get(c.schema)
    if (schema === undefined) continue
    const q = quoteQualified(schema, c.name)
    const opts: string[] = []
    if (c.provider === 'i')
      opts.push('provider = icu', `locale = ${quoteLiteral(c.locale ?? c.collate ?? '')}`)
    else if (c.provider === 'b')
      opts.push('provider = builtin', `locale = ${quoteLiteral(c.locale ?? '')}`)
    else if (c.provider === 'c')
      opts.push(
        'provider = libc',
        `lc_collate = ${quoteLiteral(c.collate ?? '')}`,
        `lc_ctype = ${quoteLiteral(c.ctype ?? '')}`,
      )
    else {
      plan.unsupportedObject(
        `collation ${c.schema}.${c.name}`,
        `provider ${c.provider} is not migrated`,
      )
      continue
    }
    if (!c.deterministic) opts.push('deterministic = false')
    const key = `collation:${q}`
    plan.add(
      key,
      'collation',
      q,
      'pre-data',
      [
        `CREATE COLLATION ${q} (${opts.join(', ')})`,
        ...plan.owner('COLLATION', q, c.owner),
        ...plan.comment('COLLATION', q, 'pg_collation', c.oid),
      ],
      { dependsOn: [schemaKey(schema)] },
    )
    plan.ref('pg_collation', c.oid, key)
  }
}

/** Add the steps of every user-defined type of the selected schemas. */
export function addTypeSteps(plan: StepPlan, cat: SourceCatalog, targetMajor: number): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  const checks = new Map<number, { oid: number; name: string; definition: string }[]>()
  for (const c of cat.domainConstraints) checks.set(c.domain, [...(checks.get(c.domain) ?? []), c])
  for (const t of cat.types) {
    const schema = targetSchema.get(t.schema)
    if (schema === undefined) continue
    if (t.type === 'b' || t.type === 'p' || t.type === 'm') continue // base types: see unsupported-objects
    const q = quoteQualified(schema, t.name)
    const key = typeKey(schema, t.name)
    const keyword = t.type === 'd' ? 'DOMAIN' : 'TYPE'
    const sql: string[] = []
    if (t.type === 'e') {
      sql.push(`CREATE TYPE ${q} AS ENUM (${t.labels.map(quoteLiteral).join(', ')})`)
    } else if (t.type === 'c') {
      const attrs = t.attributes.map(
        (a) =>
          `${quoteIdent(a.name)} ${a.type}${a.collation === null ? '' : ` COLLATE ${a.collation}`}`,
      )
      sql.push(`CREATE TYPE ${q} AS (${attrs.join(', ')})`)
      for (const a of t.attributes)
        sql.push(
          ...plan.comment('COLUMN', `${q}.${quoteIdent(a.name)}`, 'pg_class', t.relation, a.num),
        )
    } else if (t.type === 'd') {
      let d = `CREATE DOMAIN ${q} AS ${t.baseType ?? 'text'}`
      if (t.collation !== null) d += ` COLLATE ${t.collation}`
      if (t.default !== null) d += ` DEFAULT ${t.default}`
      if (t.notNull) d += ' NOT NULL'
      sql.push(d)
      for (const c of checks.get(t.oid) ?? []) {
        sql.push(`ALTER DOMAIN ${q} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`)
        sql.push(
          ...plan.comment(`CONSTRAINT ${quoteIdent(c.name)} ON DOMAIN`, q, 'pg_constraint', c.oid),
        )
        plan.ref('pg_constraint', c.oid, key)
      }
    } else if (t.type === 'r' && t.range !== null) {
      if (t.range.canonical !== null) {
        plan.unsupportedObject(
          `${t.schema}.${t.name}`,
          'range types with a canonical function are not migrated yet',
        )
        continue
      }
      const parts = [`SUBTYPE = ${t.range.subtype}`]
      if (t.range.opclass !== null) parts.push(`SUBTYPE_OPCLASS = ${t.range.opclass}`)
      if (t.range.collation !== null) parts.push(`COLLATION = ${t.range.collation}`)
      if (t.range.diff !== null) parts.push(`SUBTYPE_DIFF = ${t.range.diff}`)
      if (t.range.multirange !== null && targetMajor >= 14)
        parts.push(`MULTIRANGE_TYPE_NAME = ${quoteQualified(schema, t.range.multirange)}`)
      sql.push(`CREATE TYPE ${q} AS RANGE (${parts.join(', ')})`)
    } else continue
    sql.push(...plan.owner(keyword, q, t.owner))
    sql.push(...plan.comment(keyword, q, 'pg_type', t.oid))
    sql.push(...plan.grants(keyword, q, t.owner, cat.acls.types.get(t.oid)))
    plan.add(key, 'type', q, 'pre-data', sql, { dependsOn: [schemaKey(schema)] })
    plan.ref('pg_type', t.oid, key)
  }
}
