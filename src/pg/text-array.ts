/**
 * A `text[]` parameter as PostgreSQL's array literal, the text `pg` would send for the array
 * itself: each element double-quoted with `\` and `"` escaped, NULL unquoted. Built here with one
 * string and a search per element, where pg's serialiser runs two regular-expression replaces per
 * element and joins the quoted pieces (issue 11: a set-based run's arrays were a fifth of the
 * apply's own CPU on a million-row transaction; measured per 10,000-row run of four columns,
 * serialised and written: 7.4-8.6 ms through pg, 4.6-4.8 ms here).
 */

/**
 * A statement parameter of the apply: a run's column of text values (sent as its literal), or a
 * plain value. Narrowed so that nothing the literal would misrender (a nested array, a number, a
 * Buffer element) can be passed as an array.
 */
export type StatementParam = readonly (string | null)[] | string | number | null

/** The array literal of `values` (every element a string, or null/undefined for NULL). */
export function textArrayLiteral(values: readonly (string | null | undefined)[]): string {
  let s = '{'
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (i > 0) s += ','
    if (v === null || v === undefined) s += 'NULL'
    else if (v.includes('"') || v.includes('\\')) s += `"${v.replace(/[\\"]/g, '\\$&')}"`
    else s += `"${v}"`
  }
  return `${s}}`
}

/**
 * Statement parameters with every array (a run's column of text values) given as its literal;
 * other values as they are.
 */
export function textArrayParams(values: readonly StatementParam[]): (string | number | null)[] {
  const out = new Array<string | number | null>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as StatementParam
    out[i] = typeof v === 'object' && v !== null ? textArrayLiteral(v) : v
  }
  return out
}
