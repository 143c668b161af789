/**
 * The row hash's SQL (issue 13, row-sql.ts): a table of short rows is hashed by its row's text
 * alone, as before long columns were hashed apart (so its hashes did not change); a table of long
 * rows hashes its out-of-line columns apart, each seeded by its position. Whether the servers
 * compute the same hash for equal rows, and another for each kind of difference, is proven against
 * real servers (test/harness/verify-suite.ts: toasty and blobs, 16 → 16 and 12 → 17).
 */
import { describe, expect, it } from 'vitest'
import { columnsApart, LONG_ROW_BYTES, rowHashSql } from '../../src/verify/row-sql.js'

const columns = [
  { name: 'id', type: 'integer' },
  { name: 'body', type: 'text' },
  { name: 'n', type: 'numeric' },
]
const storage = [
  { name: 'id', storage: 'p' },
  { name: 'body', storage: 'x' },
  { name: 'n', storage: 'm' },
]

describe('row hash SQL', () => {
  it('short rows: the row text alone, whatever the columns storage', () => {
    const apart = columnsApart(storage, LONG_ROW_BYTES - 1)
    expect([...apart]).toEqual([])
    expect(rowHashSql(columns, ['a', 'b', 'c'], apart)).toBe(
      'hashtextextended(ROW(a, b, c)::text, 0)',
    )
  })

  it('long rows: out-of-line columns hashed apart by position, NULL a constant, XORed with the rest', () => {
    const apart = columnsApart(storage, LONG_ROW_BYTES)
    expect([...apart]).toEqual(['body'])
    expect(rowHashSql(columns, ['a', 'b', 'c'], apart)).toBe(
      '(hashtextextended(ROW(a, c)::text, 0) # coalesce(hashtextextended((b)::text, 2), 2))',
    )
    expect(rowHashSql(columns.slice(1, 2), ['b'], apart)).toBe(
      'coalesce(hashtextextended((b)::text, 1), 1)',
    )
  })
})
