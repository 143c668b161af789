/**
 * Item `target.name-conflicts`: in each target database that already exists, an object of the same
 * name as one the migration creates. A relation or type in the way — fail (CREATE would fail; a
 * relation and a type share names, as every table has a row type). An index or a function with the
 * same signature — warn (an index can be renamed by the structure stage's caller, a function may be
 * the same code). Schemas are not conflicts: an existing schema is reused. The fix drops the target
 * objects in the way (views before tables, so one does not block the other); mapping the schema to
 * another name (`schemas: { s: { as } }`) avoids it instead. A target database that does not exist
 * yet has no conflicts. Once the task's structure stage has run, the objects are its own: pass.
 */
import type pg from 'pg'
import {
  readCreatedExtras,
  readExistingObjects,
  type NamedObject,
} from '../catalog/object-names.js'
import { quoteQualified } from '../pg/quote.js'
import { found, listNames, passed, statements } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'target.name-conflicts'
const TITLE = 'no migrated object already exists on the target'

const DROP_ORDER = [
  'v',
  'm',
  'r',
  'p',
  'f',
  'S',
  'i',
  'I',
  'c',
  'type',
  'domain',
  'f()',
  'p()',
  'a()',
  'w()',
]

/** `DROP … IF EXISTS` for one existing target object. */
export function dropStatement(o: NamedObject): string {
  const name = quoteQualified(o.schema, o.name)
  switch (o.kind) {
    case 'v':
      return `DROP VIEW IF EXISTS ${name};`
    case 'm':
      return `DROP MATERIALIZED VIEW IF EXISTS ${name};`
    case 'r':
    case 'p':
      return `DROP TABLE IF EXISTS ${name};`
    case 'f':
      return `DROP FOREIGN TABLE IF EXISTS ${name};`
    case 'S':
      return `DROP SEQUENCE IF EXISTS ${name};`
    case 'i':
    case 'I':
      return `DROP INDEX IF EXISTS ${name};`
    case 'domain':
      return `DROP DOMAIN IF EXISTS ${name};`
    case 'c':
    case 'type':
      return `DROP TYPE IF EXISTS ${name};`
    case 'f()':
    case 'w()':
      return `DROP FUNCTION IF EXISTS ${name}(${o.args});`
    case 'p()':
      return `DROP PROCEDURE IF EXISTS ${name}(${o.args});`
    case 'a()':
      return `DROP AGGREGATE IF EXISTS ${name}(${o.args});`
    default:
      return `-- ${name} (${o.kind}): drop it by hand`
  }
}

export async function checkNameConflicts(input: PrecheckInput): Promise<PrecheckItem> {
  if (input.structureStarted)
    return passed(
      ID,
      TITLE,
      `the structure stage has run: what exists on the target is this task's own`,
    )
  let status: 'pass' | 'warn' | 'fail' = 'pass'
  const problems: string[] = []
  const fixes: PrecheckFix[] = []
  const objects: string[] = []
  const unread: string[] = []
  for (const d of readable(input)) {
    const { db } = d
    if (!input.targetDatabases.has(db.as)) continue
    let target
    try {
      target = await input.targetClient(db.as)
    } catch {
      unread.push(db.as)
      continue
    }
    const { blocking, warned, labels } = await conflictsIn(d, target)
    objects.push(...labels)
    if (blocking.size > 0) status = 'fail'
    else if (warned.size > 0 && status === 'pass') status = 'warn'
    const all = [...blocking.values(), ...warned.values()]
    if (all.length === 0) continue
    const describe = (o: NamedObject): string =>
      `${o.schema}.${o.name}${o.kind.endsWith('()') ? `(${o.args})` : ''}`
    if (blocking.size > 0)
      problems.push(
        `in target database ${db.as}, already exist: ${listNames([...blocking.values()].map(describe))}`,
      )
    if (warned.size > 0)
      problems.push(
        `in target database ${db.as}, indexes or functions of the same name exist: ${listNames([...warned.values()].map(describe))}`,
      )
    all.sort((a, b) => DROP_ORDER.indexOf(a.kind) - DROP_ORDER.indexOf(b.kind))
    fixes.push(...statements('target', db.as, all.map(dropStatement)))
  }
  if (unread.length > 0) {
    if (status === 'pass') status = 'warn'
    problems.push(`target database ${unread.join(', ')} could not be opened to look for conflicts`)
  }
  if (status === 'pass') return passed(ID, TITLE, 'no selected object exists on the target')
  return found(
    ID,
    TITLE,
    status,
    `${problems.join('; ')}; drop them (the fix), or migrate the schema under another name (objects: schemas: { name: { as } })`,
    fixes,
    [...new Set(objects)],
  )
}

/** One database's selected objects that already exist on its target: blocking (fail) or warned. */
async function conflictsIn(
  { db, client, selection }: ReturnType<typeof readable>[number],
  target: pg.Client,
): Promise<{
  blocking: Map<string, NamedObject>
  warned: Map<string, NamedObject>
  labels: string[]
}> {
  const labels: string[] = []
  const asOf = new Map(selection.schemas.map((s) => [s.name, s.as]))
  const whole = (db.schemas ?? []).filter((s) => s.whole).map((s) => s.name)
  const wholeSchemas = db.schemas === undefined ? selection.schemas.map((s) => s.name) : whole
  const [existing, extras] = await Promise.all([
    readExistingObjects(target, [...new Set(selection.schemas.map((s) => s.as))]),
    readCreatedExtras(
      client,
      selection.relations.map((r) => r.oid),
      wholeSchemas,
      selection.functions.map((f) => f.oid),
    ),
  ])
  // routines are keyed with their arguments, so they only meet a routine of the same signature
  const existingByName = new Map<string, NamedObject[]>()
  for (const o of existing) {
    const key = o.kind.endsWith('()') ? `${o.schema}.${o.name}(${o.args})` : `${o.schema}.${o.name}`
    existingByName.set(key, [...(existingByName.get(key) ?? []), o])
  }
  const blocking = new Map<string, NamedObject>()
  const warned = new Map<string, NamedObject>()
  const hit = (key: string, into: Map<string, NamedObject>, label: string): void => {
    for (const o of existingByName.get(key) ?? []) {
      into.set(`${o.kind}:${o.schema}.${o.name}(${o.args})`, o)
      labels.push(`${db.as}.${label}`)
    }
  }
  for (const r of selection.relations)
    hit(`${r.targetSchema}.${r.name}`, blocking, `${r.targetSchema}.${r.name}`)
  for (const x of extras) {
    const schema = asOf.get(x.schema) ?? x.schema
    if (x.kind === 'f()')
      hit(`${schema}.${x.name}(${x.args})`, warned, `${schema}.${x.name}(${x.args})`)
    else hit(`${schema}.${x.name}`, x.kind === 'i' ? warned : blocking, `${schema}.${x.name}`)
  }
  for (const o of blocking.keys()) warned.delete(o)
  return { blocking, warned, labels }
}
