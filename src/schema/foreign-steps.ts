/**
 * Foreign data (pre-data): wrappers not created by an extension, servers, user mappings and
 * foreign tables. A user mapping whose options the source user cannot read is created without them,
 * with a warning (they usually hold a password).
 */
import type { ColumnInfo } from '../catalog/columns.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { relationKey, schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** `key=value` option strings as ` OPTIONS (key 'value', …)`, or '' when there are none. */
export function optionsClause(options: readonly string[]): string {
  if (options.length === 0) return ''
  const items = options.map((o) => {
    const i = o.indexOf('=')
    return i < 0 ? quoteIdent(o) : `${quoteIdent(o.slice(0, i))} ${quoteLiteral(o.slice(i + 1))}`
  })
  return ` OPTIONS (${items.join(', ')})`
}

/**
 * The value literals of `key=value` options, as `optionsClause` renders them: a user mapping's
 * values (a password, often a user name and more) are secrets, never shown.
 */
export function optionLiterals(options: readonly string[]): string[] {
  return options.flatMap((o) => {
    const i = o.indexOf('=')
    return i < 0 ? [] : [quoteLiteral(o.slice(i + 1))]
  })
}

/** Add wrapper, server, user-mapping and foreign-table steps. */
export function addForeignDataSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  warn: (code: string, message: string, object: string) => void,
): void {
  for (const w of cat.foreignDataWrappers) {
    const q = quoteIdent(w.name)
    const key = `foreign-data-wrapper:${q}`
    let d = `CREATE FOREIGN DATA WRAPPER ${q}`
    if (w.handler !== null) d += ` HANDLER ${w.handler}`
    if (w.validator !== null) d += ` VALIDATOR ${w.validator}`
    d += optionsClause(w.options)
    plan.add(key, 'foreign-data-wrapper', q, 'pre-data', [
      d,
      ...plan.owner('FOREIGN DATA WRAPPER', q, w.owner),
      ...plan.comment('FOREIGN DATA WRAPPER', q, 'pg_foreign_data_wrapper', w.oid),
      ...plan.grants('FOREIGN DATA WRAPPER', q, w.owner, cat.acls.wrappers.get(w.oid)),
    ])
    plan.ref('pg_foreign_data_wrapper', w.oid, key)
  }
  for (const s of cat.foreignServers) {
    const q = quoteIdent(s.name)
    const key = `foreign-server:${q}`
    let d = `CREATE SERVER ${q}`
    if (s.type !== null) d += ` TYPE ${quoteLiteral(s.type)}`
    if (s.version !== null) d += ` VERSION ${quoteLiteral(s.version)}`
    d += ` FOREIGN DATA WRAPPER ${quoteIdent(s.wrapper)}${optionsClause(s.options)}`
    plan.add(key, 'foreign-server', q, 'pre-data', [
      d,
      ...plan.owner('SERVER', q, s.owner),
      ...plan.comment('SERVER', q, 'pg_foreign_server', s.oid),
      ...plan.grants('FOREIGN SERVER', q, s.owner, cat.acls.servers.get(s.oid)),
    ])
    plan.ref('pg_foreign_server', s.oid, key)
  }
  for (const m of cat.userMappings) {
    const server = quoteIdent(m.server)
    if (m.user !== null && !plan.targetRoles.has(m.user)) {
      plan.unsupportedObject(
        `user mapping for ${m.user} on ${m.server}`,
        `role ${m.user} is missing on the target`,
      )
      continue
    }
    const who = m.user === null ? 'PUBLIC' : quoteIdent(m.user)
    if (m.options === null)
      warn(
        'PGFERRY_SCHEMA_USER_MAPPING_OPTIONS',
        `user mapping for ${m.user ?? 'PUBLIC'} on server ${m.server}: the source user cannot read its options, so it is created without them`,
        `${m.user ?? 'PUBLIC'}@${m.server}`,
      )
    plan.add(
      `user-mapping:${who}@${server}`,
      'user-mapping',
      `${who}@${server}`,
      'pre-data',
      [`CREATE USER MAPPING FOR ${who} SERVER ${server}${optionsClause(m.options ?? [])}`],
      { dependsOn: [`foreign-server:${server}`], secrets: optionLiterals(m.options ?? []) },
    )
  }
  addForeignTableSteps(plan, cat)
}

/** Foreign tables (not partitions or children: those are reported, not migrated). */
function addForeignTableSteps(plan: StepPlan, cat: SourceCatalog): void {
  const tables = new Map(cat.foreignTables.map((t) => [t.oid, t]))
  for (const rel of cat.selection.relations) {
    if (rel.kind !== 'f') continue
    const info = cat.relations.get(rel.oid)
    const ft = tables.get(rel.oid)
    if (info === undefined || ft === undefined) continue
    if (rel.parentOid !== undefined || info.inherits.length > 0) {
      plan.unsupportedObject(
        `${rel.schema}.${rel.name}`,
        'foreign tables that are partitions or inherit are not migrated yet',
      )
      continue
    }
    const q = targetName(rel)
    const key = relationKey(rel.targetSchema, rel.name)
    const cols = cat.columns.get(rel.oid) ?? []
    const defs = cols.map((c: ColumnInfo) => {
      let d = `${quoteIdent(c.name)} ${c.type}${optionsClause(ft.columnOptions[c.name] ?? [])}`
      if (c.collation !== null)
        d += ` COLLATE ${quoteIdent(c.collation.schema)}.${quoteIdent(c.collation.name)}`
      if (c.default !== null) d += ` DEFAULT ${c.default}`
      if (c.notNull) d += ' NOT NULL'
      return d
    })
    const sql = [
      `CREATE FOREIGN TABLE ${q} (\n  ${defs.join(',\n  ')}\n) SERVER ${quoteIdent(ft.server)}${optionsClause(ft.options)}`,
      ...plan.owner('FOREIGN TABLE', q, info.owner),
      ...plan.comment('FOREIGN TABLE', q, 'pg_class', rel.oid),
      ...cols.flatMap((c) =>
        plan.comment('COLUMN', `${q}.${quoteIdent(c.name)}`, 'pg_class', rel.oid, c.num),
      ),
      ...plan.grants('TABLE', q, info.owner, cat.acls.relations.get(rel.oid)),
    ]
    plan.add(key, 'foreign-table', q, 'pre-data', sql, {
      dependsOn: [schemaKey(rel.targetSchema), `foreign-server:${quoteIdent(ft.server)}`],
    })
    plan.ref('pg_class', rel.oid, key)
  }
}
