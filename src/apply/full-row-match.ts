/**
 * Finding one row of a table without a key (REPLICA IDENTITY FULL) by its whole old image: the
 * values of the match, the statement shape they select, and the WHERE clause.
 */
import { columnText, type TupleData } from '../wal/pgoutput-messages.js'
import type { RelationPlan } from './relation-plan.js'

/**
 * Every old column value; `undefined` (unchanged TOAST, not sent; or a column dropped since on both
 * sides) is left out of the match.
 */
export function fullRowValues(plan: RelationPlan, tuple: TupleData): (string | null | undefined)[] {
  const n = plan.columns.length
  const values: (string | null | undefined)[] = new Array<string | null | undefined>(n)
  for (let i = 0; i < n; i++) values[i] = plan.isWritten(i) ? columnText(tuple, i) : undefined
  return values
}

/** n: NULL, u: not sent, v: a value — the statement differs by it. */
export function fullMask(values: readonly (string | null | undefined)[]): string {
  let s = ''
  for (const v of values) s += v === null ? 'n' : v === undefined ? 'u' : 'v'
  return s
}

/**
 * Match every sent old column. Compared as the target type's text output of both sides, so a type
 * without an equality operator (json, point, xml) still matches; NULLs as IS NULL.
 */
export function fullMatch(
  plan: RelationPlan,
  first: number,
  values: readonly (string | null | undefined)[],
): string {
  const parts: string[] = []
  let p = first
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === undefined) continue
    const col = plan.columns[i] ?? ''
    if (v === null) parts.push(`${col} IS NULL`)
    else parts.push(`${col}::text = ($${p++}::${plan.types[i] ?? 'text'})::text`)
  }
  return parts.length === 0 ? 'true' : parts.join(' AND ')
}
