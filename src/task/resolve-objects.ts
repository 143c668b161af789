/**
 * Selection resolution: `'instance'` or databases → schemas → objects, normalised and frozen.
 */
import { invalid, isRecord, nonEmptyString } from './config-checks.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'
import type { ObjectsInput, SchemaSelection } from '../model/task-config.js'
import {
  wholeSchema,
  type ResolvedDatabase,
  type ResolvedObjects,
  type ResolvedSchema,
} from '../model/resolved-objects.js'

function stringList(v: unknown, field: string): readonly string[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || !v.every(nonEmptyString)) {
    throw invalid(field, 'must be an array of names', `e.g. ['orders', 'customers']`)
  }
  return Object.freeze([...v])
}

function resolveSchema(name: string, v: unknown, field: string): ResolvedSchema {
  if (v === true) return wholeSchema(name)
  if (!isRecord(v))
    throw invalid(
      field,
      'must be true or { tables, views, sequences, functions, exclude, as }',
      'use true for the whole schema',
    )
  const s = v as SchemaSelection
  const known = new Set(['tables', 'views', 'sequences', 'functions', 'exclude', 'as'])
  for (const k of Object.keys(s)) {
    if (!known.has(k))
      throw invalid(`${field}.${k}`, 'is not a known key', `use one of ${[...known].join(', ')}`)
  }
  if (s.as !== undefined && !nonEmptyString(s.as))
    throw invalid(`${field}.as`, 'must be a non-empty name', 'or leave it out')
  const tables = stringList(s.tables, `${field}.tables`)
  const views = stringList(s.views, `${field}.views`)
  const sequences = stringList(s.sequences, `${field}.sequences`)
  const functions = stringList(s.functions, `${field}.functions`)
  return Object.freeze({
    name,
    as: s.as ?? name,
    tables,
    views,
    sequences,
    functions,
    exclude: stringList(s.exclude, `${field}.exclude`) ?? Object.freeze([]),
    whole:
      tables === undefined &&
      views === undefined &&
      sequences === undefined &&
      functions === undefined,
  })
}

export function resolveObjects(
  input: ObjectsInput | undefined,
  source: ResolvedConnection,
): ResolvedObjects {
  if (input === undefined) {
    return Object.freeze({
      mode: 'selection',
      databases: Object.freeze([
        Object.freeze({ name: source.database, as: source.database, schemas: undefined }),
      ]),
      includeDependencies: false,
    })
  }
  if (input === 'instance')
    return Object.freeze({ mode: 'instance', databases: undefined, includeDependencies: true })
  if (!isRecord(input) || !isRecord(input.databases)) {
    throw invalid(
      'objects',
      `must be 'instance' or { databases: { name: true | { schemas } } }`,
      `e.g. { databases: { shop: { schemas: { public: true } } } }`,
    )
  }
  const dbs = Object.entries(input.databases)
  if (dbs.length === 0)
    throw invalid('objects.databases', 'selects nothing', 'name at least one database')
  if (input.includeDependencies !== undefined && typeof input.includeDependencies !== 'boolean') {
    throw invalid('objects.includeDependencies', 'must be a boolean', 'true or false')
  }
  const targetNames = new Set<string>()
  const databases = dbs.map(([name, v]): ResolvedDatabase => {
    const field = `objects.databases[${JSON.stringify(name)}]`
    if (!nonEmptyString(name)) throw invalid(field, 'has an empty name', 'name the database')
    let as = name
    let schemas: readonly ResolvedSchema[] | undefined
    if (v !== true) {
      if (!isRecord(v))
        throw invalid(field, 'must be true or { schemas, as }', 'use true for the whole database')
      for (const k of Object.keys(v)) {
        if (k !== 'schemas' && k !== 'as')
          throw invalid(`${field}.${k}`, 'is not a known key', 'use schemas or as')
      }
      if (v.as !== undefined) {
        if (!nonEmptyString(v.as))
          throw invalid(`${field}.as`, 'must be a non-empty name', 'or leave it out')
        as = v.as
      }
      if (v.schemas !== undefined) {
        if (!isRecord(v.schemas) || Object.keys(v.schemas).length === 0) {
          throw invalid(
            `${field}.schemas`,
            'must name at least one schema',
            `e.g. { public: true }`,
          )
        }
        schemas = Object.freeze(
          Object.entries(v.schemas).map(([s, sv]) =>
            resolveSchema(s, sv, `${field}.schemas[${JSON.stringify(s)}]`),
          ),
        )
      }
    }
    if (targetNames.has(as))
      throw invalid(
        field,
        `maps to target database '${as}' twice`,
        'give each database its own target name',
      )
    targetNames.add(as)
    return Object.freeze({ name, as, schemas })
  })
  return Object.freeze({
    mode: 'selection',
    databases: Object.freeze(databases),
    includeDependencies: input.includeDependencies ?? false,
  })
}
