/**
 * A manifest with tables added to it: the explicit step's own change (apply/add-tables.ts says when
 * it runs). A named table brings its partitions and owned sequences, as in a selection. It must be
 * in a schema the task migrates (the target schema is that schema's), be a table (`r` or `p`), and
 * depend on nothing the manifest lacks (a foreign key's table, a trigger's function): the step
 * fails naming what is wrong rather than create half of it. Tables already in the manifest are
 * left as they are, so running the step again is harmless.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { missingDependencies } from '../catalog/dependencies.js'
import { readSelection } from '../catalog/selection.js'
import type { DatabaseManifest, SelectedRelation } from '../model/manifest.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'

/** A table to add, by source schema and name. */
export interface TableName {
  readonly schema: string
  readonly name: string
}

function invalid(message: string, fix: string): PgferryError {
  return new PgferryError('PGFERRY_MANIFEST_ADD_INVALID', message, { fix })
}

/** The one-off selection of `tables` under the manifest's schema mapping. */
function selectionOf(m: DatabaseManifest, tables: readonly TableName[]): ResolvedDatabase {
  const schemas = [...new Set(tables.map((t) => t.schema))].map((schema) => {
    const mapped = m.schemas.find((s) => s.name === schema)
    if (mapped === undefined)
      throw invalid(
        `database ${m.database.name}: schema ${schema} is not migrated by this task, so its tables cannot be added to it`,
        'add only tables of the schemas the task migrates; migrate other schemas with a new task',
      )
    return {
      name: schema,
      as: mapped.as,
      tables: tables.filter((t) => t.schema === schema).map((t) => t.name),
      views: [],
      sequences: [],
      functions: [],
      exclude: [],
      whole: false,
    }
  })
  return { name: m.database.name, as: m.database.as, schemas }
}

/** Fail when an added relation needs an object the manifest does not have. */
async function assertDependenciesMigrated(
  client: pg.Client,
  m: DatabaseManifest,
  relations: readonly SelectedRelation[],
  added: readonly SelectedRelation[],
): Promise<void> {
  const names = new Set(added.map((r) => `${r.schema}.${r.name}`))
  const needed = (
    await missingDependencies(client, { ...m, relations, functions: m.functions })
  ).filter((d) => names.has(d.object))
  if (needed.length === 0) return
  throw invalid(
    `database ${m.database.name}: ${needed.map((d) => `${d.object} needs ${d.needs} (${d.via})`).join(', ')}, which the task does not migrate`,
    'add the tables it needs in the same call; an object other than a table cannot be added to a running task, so migrate such a table with a new task',
  )
}

/** `m` with `tables` (and what they bring) added; `m` itself when it has them all. */
export async function grownManifest(
  client: pg.Client,
  m: DatabaseManifest,
  tables: readonly TableName[],
): Promise<DatabaseManifest> {
  const selection = await readSelection(client, selectionOf(m, tables))
  const notTables = selection.relations.filter(
    (r) => r.reason === 'explicit' && r.kind !== 'r' && r.kind !== 'p',
  )
  const missing = [...selection.missing, ...notTables.map((r) => `${r.schema}.${r.name}`)]
  if (missing.length > 0)
    throw invalid(
      `database ${m.database.name}: no table ${missing.join(', ')} on the source`,
      'name tables as schema.table, spelled as on the source (case included)',
    )
  const known = new Set(m.relations.map((r) => `${r.schema}.${r.name}`))
  const added = selection.relations
    .filter((r) => !known.has(`${r.schema}.${r.name}`))
    .map((r): SelectedRelation => ({ ...r, reason: 'added' }))
  if (added.length === 0) return m
  const relations = [...m.relations, ...added]
  await assertDependenciesMigrated(client, m, relations, added)
  const names = tables.map((t) => `${t.schema}.${t.name}`)
  return { ...m, relations, added: [...m.added, { tables: names, at: new Date().toISOString() }] }
}
