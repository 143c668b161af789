/**
 * Schemas, extensions and the database's own settings (pre-data). Extensions are created with the
 * source's version when the target can install it, else the target's default version (warned).
 */
import type { DatabaseInfo } from '../catalog/databases.js'
import { commentKey, type CommentMap } from '../catalog/comments.js'
import type { AclInfo } from '../catalog/acls.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { extensionKey, schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add a step per selected schema. */
export function addSchemaSteps(plan: StepPlan, cat: SourceCatalog): void {
  const info = new Map(cat.schemas.map((s) => [s.name, s]))
  for (const s of cat.selection.schemas) {
    const i = info.get(s.name)
    if (i === undefined) continue
    const q = quoteIdent(s.as)
    const key = schemaKey(s.as)
    plan.add(key, 'schema', q, 'pre-data', [
      `CREATE SCHEMA IF NOT EXISTS ${q}`,
      ...plan.owner('SCHEMA', q, i.owner),
      ...plan.comment('SCHEMA', q, 'pg_namespace', i.oid),
      ...plan.grants('SCHEMA', q, i.owner, cat.acls.schemas.get(i.oid)),
    ])
    plan.ref('pg_namespace', i.oid, key)
  }
}

/** Add a step per extension of the source database (plpgsql exists everywhere). */
export function addExtensionSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  available: ReadonlyMap<string, ReadonlySet<string>>,
  warn: (code: string, message: string, object: string) => void,
): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const e of cat.extensions) {
    const key = extensionKey(e.name)
    plan.ref('pg_extension', e.oid, key)
    if (e.name === 'plpgsql') continue
    const versions = available.get(e.name)
    if (versions === undefined) {
      plan.unsupportedObject(`extension ${e.name}`, 'not available on the target server')
      continue
    }
    const schema = targetSchema.get(e.schema) ?? e.schema
    const sql: string[] = []
    const deps = e.requires.map(extensionKey)
    if (targetSchema.has(e.schema)) deps.push(schemaKey(schema))
    else sql.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
    let version = ''
    if (versions.has(e.version)) version = ` VERSION ${quoteLiteral(e.version)}`
    else
      warn(
        'PGFERRY_SCHEMA_EXTENSION_VERSION',
        `extension ${e.name} ${e.version} is not available on the target: its default version is installed`,
        e.name,
      )
    sql.push(
      `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(schema)}${version}`,
    )
    sql.push(...plan.comment('EXTENSION', quoteIdent(e.name), 'pg_extension', e.oid))
    plan.add(key, 'extension', quoteIdent(e.name), 'pre-data', sql, { dependsOn: deps })
  }
}

/** The database's owner, settings, comment and grants, run inside the target database. */
export function addDatabaseStep(
  plan: StepPlan,
  db: DatabaseInfo,
  targetName: string,
  shared: CommentMap,
  acl: AclInfo | undefined,
): void {
  const q = quoteIdent(targetName)
  const sql: string[] = [...plan.owner('DATABASE', q, db.owner)]
  for (const s of db.settings) {
    for (const setting of s.config) {
      const i = setting.indexOf('=')
      const name = setting.slice(0, i)
      const value = settingValue(name, setting.slice(i + 1))
      if (s.role === null) sql.push(`ALTER DATABASE ${q} SET ${quoteIdent(name)} = ${value}`)
      else if (plan.targetRoles.has(s.role))
        sql.push(
          `ALTER ROLE ${quoteIdent(s.role)} IN DATABASE ${q} SET ${quoteIdent(name)} = ${value}`,
        )
    }
  }
  if (db.connectionLimit >= 0)
    sql.push(`ALTER DATABASE ${q} CONNECTION LIMIT ${db.connectionLimit}`)
  const comment = shared.get(commentKey('pg_database', db.oid))
  if (comment !== undefined) sql.push(`COMMENT ON DATABASE ${q} IS ${quoteLiteral(comment)}`)
  sql.push(...plan.grants('DATABASE', q, db.owner, acl))
  if (sql.length > 0) plan.add(`database:${q}`, 'database', q, 'pre-data', sql)
}

/** Settings whose value is a list of names (GUC_LIST_QUOTE): each element becomes its own literal. */
const LIST_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'local_preload_libraries',
  'shared_preload_libraries',
])

/** A setting's stored value as SQL after `SET name =`. */
export function settingValue(name: string, raw: string): string {
  if (!LIST_SETTINGS.has(name.toLowerCase())) return quoteLiteral(raw)
  const items: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]
    if (ch === '"') {
      if (quoted && raw[i + 1] === '"') {
        cur += '"'
        i++
      } else quoted = !quoted
    } else if (ch === ',' && !quoted) {
      items.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  items.push(cur.trim())
  return items.map(quoteLiteral).join(', ')
}
