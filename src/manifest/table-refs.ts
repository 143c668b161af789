/**
 * The tables a caller names to the step that adds tables (`startIncremental(task, { addTables })`,
 * model/manifest.ts `TableRef`), each found in the manifest of its database. A text name is split
 * on the dots outside double quotes, as PostgreSQL reads a qualified name, so a schema or table
 * whose name holds a dot can be named; an object names the parts without quoting.
 */
import { PgferryError } from '../errors.js'
import type { DatabaseManifest, TableRef } from '../model/manifest.js'
import type { TableName } from './grow-manifest.js'

function invalid(message: string, fix: string): PgferryError {
  return new PgferryError('PGFERRY_MANIFEST_ADD_INVALID', message, { fix })
}

/**
 * The parts of a qualified name: split on dots outside double quotes, a quoted part unquoted (`""`
 * is a quote). Undefined when a quote is not closed, or a part is empty.
 */
export function splitQualifiedName(text: string): string[] | undefined {
  const parts: string[] = []
  let part = ''
  let quoted = false
  let wasQuoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted) {
      if (ch !== '"') {
        part += ch
      } else if (text[i + 1] === '"') {
        part += '"'
        i++
      } else quoted = false
    } else if (ch === '"' && part === '' && !wasQuoted) {
      quoted = wasQuoted = true
    } else if (ch === '.') {
      if (part === '') return undefined
      parts.push(part)
      part = ''
      wasQuoted = false
    } else if (ch === '"' || wasQuoted) {
      return undefined
    } else part += ch
  }
  if (quoted || part === '') return undefined
  parts.push(part)
  return parts
}

function isObjectRef(v: unknown): v is Exclude<TableRef, string> {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  const text = (x: unknown): boolean => typeof x === 'string' && x !== ''
  return text(o.schema) && text(o.name) && (o.database === undefined || text(o.database))
}

/**
 * Check a call's `addTables` before the task moves (the incremental stage's checkOptions): a list
 * of names or `{ schema, name }` objects, or nothing.
 */
export function checkTableRefs(options: { readonly addTables?: unknown }): void {
  const v = options.addTables
  if (v === undefined) return
  const ok = (x: unknown): boolean =>
    typeof x === 'string' ? splitQualifiedName(x) !== undefined : isObjectRef(x)
  if (!Array.isArray(v) || !v.every(ok))
    throw new PgferryError(
      'PGFERRY_OPTIONS_INVALID',
      `startIncremental({ addTables }): ${JSON.stringify(v)} is not a list of table names`,
      {
        fix: `pass e.g. addTables: ['public.orders'], with a part holding a dot in double quotes ('"my.schema"."t.1"'), or { schema, name } objects; or leave it out`,
      },
    )
}

/** The parts a ref names: database (when given), schema, table; undefined when it cannot tell. */
function partsOf(ref: TableRef): (string | undefined)[] | undefined {
  if (typeof ref !== 'string') return [ref.database, ref.schema, ref.name]
  const parts = splitQualifiedName(ref)
  if (parts === undefined || parts.length < 2 || parts.length > 3) return undefined
  return parts.length === 3 ? parts : [undefined, ...parts]
}

/** `refs` by the manifest of their database. */
export function tablesByDatabase(
  manifests: readonly DatabaseManifest[],
  refs: readonly TableRef[],
): Map<DatabaseManifest, TableName[]> {
  const out = new Map<DatabaseManifest, TableName[]>()
  for (const ref of refs) {
    const [db, schema, name] = partsOf(ref) ?? []
    const m =
      db === undefined && manifests.length === 1
        ? manifests[0]
        : manifests.find((x) => x.database.name === db)
    if (m === undefined || schema === undefined || name === undefined)
      throw invalid(
        `cannot tell which table ${JSON.stringify(ref)} names`,
        `name each table as schema.table${manifests.length > 1 ? ', or database.schema.table (this task migrates several databases)' : ''}, with a part holding a dot in double quotes, or as { ${manifests.length > 1 ? 'database, ' : ''}schema, name }`,
      )
    out.set(m, [...(out.get(m) ?? []), { schema, name }])
  }
  return out
}

/** A name part as a TableRef's text has it: in double quotes when it holds a dot or a quote. */
function refPart(part: string): string {
  return /[."]/.test(part) ? `"${part.replaceAll('"', '""')}"` : part
}

/** The text that names `schema`.`name` to `addTables`, quoted where it must be. */
export function tableRefText(schema: string, name: string): string {
  return `${refPart(schema)}.${refPart(name)}`
}
