/**
 * Whether a value written under a column's old built-in type, replayed as that type's text into the
 * column's new type, lands exactly where the source's `ALTER COLUMN … TYPE` (its assignment cast)
 * put it. Only such retypes are replayed after the user applied the same ALTER to the target; for
 * any other (a USING clause, float to numeric, timestamp to timestamptz, whose text differs by
 * setting or precision) the apply stops rather than guess.
 */

const INT2 = 21
const INT4 = 23
const INT8 = 20
const NUMERIC = 1700
const TEXT = 25
const VARCHAR = 1043

/** Same type, another typmod: the input function applies the typmod as the cast does. */
const TYPMOD_EXACT = new Set([
  VARCHAR,
  1042, // bpchar
  NUMERIC,
  1083, // time
  1266, // timetz
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1562, // varbit
])

/** Widenings whose text output is the new type's input of the same value. */
const WIDENINGS: ReadonlyMap<number, readonly number[]> = new Map([
  [INT2, [INT4, INT8, NUMERIC, TEXT, VARCHAR]],
  [INT4, [INT8, NUMERIC, TEXT, VARCHAR]],
  [INT8, [NUMERIC, TEXT, VARCHAR]],
  [NUMERIC, [TEXT, VARCHAR]],
  [VARCHAR, [TEXT]],
  [TEXT, [VARCHAR]],
])

/** True when old-type text replayed into the new type equals the source's converted value. */
export function replaysExactly(fromOid: number, toOid: number): boolean {
  if (fromOid === toOid) return TYPMOD_EXACT.has(fromOid)
  return WIDENINGS.get(fromOid)?.includes(toOid) === true
}
