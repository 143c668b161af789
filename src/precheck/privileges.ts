/**
 * Item `source.privileges`: the source user can read everything selected — CONNECT on each
 * database and USAGE on each schema (every task type), SELECT on each table and sequence and on the
 * large objects (tasks that copy data; large objects are checked in every selected database, since
 * any of them may be referenced). The fix is the GRANT statements for exactly what is missing,
 * each in its database.
 */
import {
  readDatabasesWithoutConnect,
  readMissingReadPrivileges,
  readUnreadableLargeObjects,
} from '../catalog/privileges.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { found, listNames, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.privileges'
const TITLE = 'source user can read every selected object'

/** Beyond this many large objects, the fix grants them in one DO block instead of one line each. */
const LARGE_OBJECT_LINES = 200

export async function checkPrivileges(input: PrecheckInput): Promise<PrecheckItem> {
  const user = quoteIdent(input.sourceRole.name)
  const fixes: PrecheckFix[] = []
  const problems: string[] = []
  const objects: string[] = []
  const existing = input.databases.filter((d) => d.exists).map((d) => d.db.name)
  const noConnect = new Set(await readDatabasesWithoutConnect(input.source, existing))
  if (noConnect.size > 0) {
    problems.push(`CONNECT on database ${[...noConnect].join(', ')}`)
    objects.push(...noConnect)
    fixes.push(
      ...statements(
        'source',
        undefined,
        [...noConnect].map((d) => `GRANT CONNECT ON DATABASE ${quoteIdent(d)} TO ${user};`),
      ),
    )
  }
  for (const d of input.databases) {
    if (d.exists && d.client === undefined && !noConnect.has(d.db.name))
      problems.push(`database ${d.db.name} could not be read: ${d.error ?? 'unknown error'}`)
    if (d.client === undefined || d.selection === undefined) continue
    const copied = input.copiesData
      ? d.selection.relations.filter((r) => r.kind === 'r' || r.kind === 'p' || r.kind === 'S')
      : []
    const missing = await readMissingReadPrivileges(
      d.client,
      d.selection.schemas.map((s) => s.name),
      copied.map((r) => r.oid),
    )
    const los = input.copiesData ? await readUnreadableLargeObjects(d.client) : []
    const sql: string[] = []
    if (missing.schemas.length > 0) {
      problems.push(`USAGE on schema ${missing.schemas.map((s) => `${d.db.name}.${s}`).join(', ')}`)
      objects.push(...missing.schemas.map((s) => `${d.db.name}.${s}`))
      sql.push(`GRANT USAGE ON SCHEMA ${missing.schemas.map(quoteIdent).join(', ')} TO ${user};`)
    }
    const tables = missing.relations.filter((r) => r.kind !== 'S')
    const sequences = missing.relations.filter((r) => r.kind === 'S')
    for (const [list, word] of [
      [tables, 'TABLE'],
      [sequences, 'SEQUENCE'],
    ] as const) {
      if (list.length === 0) continue
      const names = list.map((r) => `${d.db.name}.${r.schema}.${r.name}`)
      problems.push(`SELECT on ${word.toLowerCase()} ${listNames(names)}`)
      objects.push(...names)
      sql.push(
        `GRANT SELECT ON ${word} ${list.map((r) => quoteQualified(r.schema, r.name)).join(', ')} TO ${user};`,
      )
    }
    if (los.length > 0) {
      problems.push(`SELECT on ${los.length} large object(s) in ${d.db.name}: ${listNames(los)}`)
      objects.push(...los.map((o) => `${d.db.name} large object ${o}`))
      sql.push(...grantLargeObjects(los, input.sourceRole.name))
    }
    fixes.push(...statements('source', d.db.name, sql))
  }
  if (problems.length === 0)
    return passed(
      ID,
      TITLE,
      input.sourceRole.superuser
        ? `source user '${input.sourceRole.name}' is a superuser`
        : `source user '${input.sourceRole.name}' can read every selected object`,
    )
  return found(
    ID,
    TITLE,
    'fail',
    `source user '${input.sourceRole.name}' lacks ${problems.join('; ')}`,
    fixes,
    objects,
  )
}

/** GRANT SELECT on large objects `los` to `role`: a line each, or one DO block when they are many. */
function grantLargeObjects(los: readonly string[], role: string): string[] {
  const user = quoteIdent(role)
  return los.length <= LARGE_OBJECT_LINES
    ? los.map((o) => `GRANT SELECT ON LARGE OBJECT ${o} TO ${user};`)
    : [
        `DO $$DECLARE o oid; BEGIN FOR o IN SELECT oid FROM pg_largeobject_metadata WHERE oid = ANY ('{${los.join(',')}}'::oid[]) LOOP EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO %I', o, ${quoteLiteralForDo(role)}); END LOOP; END$$;`,
      ]
}

/** A literal inside a `$$`-quoted DO body: plain single quotes, doubled. */
function quoteLiteralForDo(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
