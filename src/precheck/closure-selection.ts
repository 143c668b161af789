/**
 * A resolved selection written back as the `objects` a caller passes to `createTask`: what
 * `report.closure` holds, so that the selection that would pass can be used as it is.
 */
import type { ResolvedDatabase, ResolvedSchema } from '../model/resolved-objects.js'
import type { DatabaseSelection, ObjectSelection, SchemaSelection } from '../model/task-config.js'

function schemaSelection(s: ResolvedSchema): true | SchemaSelection {
  const renamed = s.as !== s.name ? { as: s.as } : {}
  const exclude = s.exclude.length > 0 ? { exclude: [...s.exclude] } : {}
  if (s.whole) return s.as === s.name && s.exclude.length === 0 ? true : { ...exclude, ...renamed }
  const lists: Partial<Record<'tables' | 'views' | 'sequences' | 'functions', string[]>> = {}
  for (const k of ['tables', 'views', 'sequences', 'functions'] as const) {
    const v = s[k]
    if (v !== undefined && v.length > 0) lists[k] = [...v]
  }
  // a partial schema must keep at least one list, or it would read as the whole schema
  if (Object.keys(lists).length === 0) lists.tables = []
  return { ...lists, ...exclude, ...renamed }
}

/** `databases` as `createTask` takes them. */
export function toObjectSelection(databases: readonly ResolvedDatabase[]): ObjectSelection {
  const out: Record<string, true | DatabaseSelection> = {}
  for (const db of databases) {
    const renamed = db.as !== db.name ? { as: db.as } : {}
    if (db.schemas === undefined) {
      out[db.name] = db.as === db.name ? true : renamed
      continue
    }
    const schemas: Record<string, true | SchemaSelection> = {}
    for (const s of db.schemas) schemas[s.name] = schemaSelection(s)
    out[db.name] = { schemas, ...renamed }
  }
  return { databases: out }
}
