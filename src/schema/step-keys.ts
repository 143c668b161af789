/**
 * Step keys: stable across runs (they are the progress keys of a resumed run), unique within a
 * target database, and readable: `<kind>:<quoted target name>`.
 */
import { quoteIdent, quoteQualified } from '../pg/quote.js'

export const schemaKey = (schema: string): string => `schema:${quoteIdent(schema)}`
export const relationKey = (schema: string, name: string): string =>
  `relation:${quoteQualified(schema, name)}`
export const typeKey = (schema: string, name: string): string =>
  `type:${quoteQualified(schema, name)}`
export const extensionKey = (name: string): string => `extension:${quoteIdent(name)}`
export const functionKey = (schema: string, name: string, args: string): string =>
  `function:${quoteQualified(schema, name)}(${args})`
/** An object that lives on a table: constraint, trigger, rule, policy. */
export const onTableKey = (kind: string, table: string, name: string): string =>
  `${kind}:${table}.${quoteIdent(name)}`
