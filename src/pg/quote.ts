/**
 * The one quoting helper. Every identifier pgferry puts in SQL goes through `quoteIdent`; every
 * value goes as a bind parameter, or through `quoteLiteral` where the protocol has no parameters
 * (replication commands, DDL).
 */

/** Quote an identifier: always double-quoted, inner quotes doubled, so case, spaces, unicode and reserved words survive. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError('identifier contains a NUL byte')
  return `"${name.replace(/"/g, '""')}"`
}

/** `"schema"."name"` */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/** Quote a string literal, using E'' syntax when backslashes are present. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('literal contains a NUL byte')
  const body = value.replace(/'/g, "''")
  return value.includes('\\') ? ` E'${body.replace(/\\/g, '\\\\')}'`.trimStart() : `'${body}'`
}
