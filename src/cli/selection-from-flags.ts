/**
 * The object selection `run` and `precheck` build from `--objects`, `--database DB[:AS]`,
 * `--schema S[:AS]`, `--tables S.T,…`, `--exclude-tables S.T,…` and `--include-dependencies`
 * (or take from `--config FILE`'s "objects"), as the library's `ObjectsInput`.
 */
import type { ObjectsInput, SchemaSelection } from '../index.js'
import type { Flags } from './parse-command-line.js'
import { UsageError } from './usage-error.js'

/** `NAME` or `NAME:AS`. */
function renamed(value: string, flag: string, command: string): [string, string | undefined] {
  const [name, as, extra] = value.split(':')
  if (name === undefined || name === '' || as === '' || extra !== undefined) {
    throw new UsageError(`--${flag} takes NAME or NAME:AS, not '${value}'`, command)
  }
  return [name, as]
}

/** `schema.table` (a bare name means `public.table`). */
function qualified(value: string, flag: string, command: string): [string, string] {
  const parts = value.split('.')
  if (parts.length === 1 && parts[0] !== '') return ['public', parts[0] as string]
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    throw new UsageError(`--${flag} takes TABLE or SCHEMA.TABLE, not '${value}'`, command)
  }
  return parts as [string, string]
}

/** The schemas `--schema`, `--tables` and `--exclude-tables` select; undefined when none given. */
function schemasFromFlags(
  flags: Flags,
  command: string,
): Record<string, true | SchemaSelection> | undefined {
  const schemas = new Map<string, { as?: string; tables?: string[]; exclude?: string[] }>()
  const entry = (name: string): { as?: string; tables?: string[]; exclude?: string[] } => {
    const e = schemas.get(name) ?? {}
    schemas.set(name, e)
    return e
  }
  for (const value of flags.list('schema')) {
    const [name, as] = renamed(value, 'schema', command)
    if (as !== undefined) entry(name).as = as
    else entry(name)
  }
  for (const value of flags.list('tables')) {
    const [schema, table] = qualified(value, 'tables', command)
    const e = entry(schema)
    e.tables = [...(e.tables ?? []), table]
  }
  const excluded = flags.list('exclude-tables')
  if (excluded.length > 0 && schemas.size === 0) {
    throw new UsageError(
      '--exclude-tables needs the schemas it narrows: name them with --schema (e.g. --schema public --exclude-tables public.audit_log)',
      command,
    )
  }
  for (const value of excluded) {
    const [schema, table] = qualified(value, 'exclude-tables', command)
    if (!schemas.has(schema)) {
      throw new UsageError(
        `--exclude-tables ${value}: schema ${schema} is not selected (add --schema ${schema})`,
        command,
      )
    }
    const e = entry(schema)
    e.exclude = [...(e.exclude ?? []), table]
  }
  if (schemas.size === 0) return undefined
  return Object.fromEntries(
    [...schemas].map(([name, e]) => [
      name,
      e.as === undefined && e.tables === undefined && e.exclude === undefined ? true : e,
    ]),
  )
}

/**
 * The selection the flags describe, or `fromFile` (the "objects" of --config FILE), or undefined
 * for the library's default; `sourceDatabase` is the database named in the --source URL.
 */
export function selectionFromFlags(
  flags: Flags,
  command: string,
  sourceDatabase: string,
  fromFile: ObjectsInput | undefined,
): ObjectsInput | undefined {
  const objects = flags.string('objects')
  const databases = flags.each('database')
  const schemas = schemasFromFlags(flags, command)
  const deps = flags.has('include-dependencies')
  const given = [objects, databases.length > 0 ? databases : undefined, fromFile]
  if (given.filter((x) => x !== undefined).length > 1) {
    throw new UsageError(
      'give only one of --objects, --database and the "objects" of --config',
      command,
    )
  }
  if (objects !== undefined) {
    if (objects !== 'instance') {
      throw new UsageError(
        `--objects takes only 'instance' (use --database or --config for a selection)`,
        command,
      )
    }
    if (schemas !== undefined) {
      throw new UsageError(
        '--schema, --tables and --exclude-tables select within one database, not with --objects instance',
        command,
      )
    }
    return 'instance'
  }
  if (fromFile !== undefined) {
    if (schemas !== undefined) {
      throw new UsageError(
        'give the schemas and tables in --config FILE or as flags, not both',
        command,
      )
    }
    if (!deps || fromFile === 'instance') return fromFile
    return { ...fromFile, includeDependencies: true }
  }
  const selection: Record<
    string,
    true | { as?: string; schemas?: Record<string, true | SchemaSelection> }
  > = {}
  for (const d of databases) {
    const [name, as] = renamed(d, 'database', command)
    selection[name] = as === undefined ? true : { as }
  }
  if (schemas !== undefined) {
    const names = Object.keys(selection)
    if (names.length > 1) {
      throw new UsageError(
        '--schema, --tables and --exclude-tables need a single --database',
        command,
      )
    }
    const db = names[0] ?? sourceDatabase
    const current = selection[db]
    selection[db] = { ...(current === true || current === undefined ? {} : current), schemas }
  }
  if (Object.keys(selection).length === 0) {
    return deps ? { databases: { [sourceDatabase]: true }, includeDependencies: true } : undefined
  }
  return { databases: selection, ...(deps ? { includeDependencies: true } : {}) }
}
