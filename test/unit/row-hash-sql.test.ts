/**
 * The row hash's SQL (issue 13, row-sql.ts): each column hashed by its type's own hash where that
 * hash is exact (integers, text and varchar, char(n), uuid; strings in the "C" collation), else by
 * its canonical text, seeded by its position, a NULL a constant, XORed. Whether the servers
 * compute the same hash for equal rows, and another for each kind of difference, is proven against
 * real servers (test/harness/verify-suite.ts: 16 → 16 and 12 → 17, and the type fidelity fixture).
 */
import { describe, expect, it } from 'vitest'
import { hashKind, plainColumns, rowHashSql } from '../../src/verify/row-sql.js'

const columns = [
  { name: 'id', type: 'integer' },
  { name: 'body', type: 'text' },
  { name: 'n', type: 'numeric' },
]

describe('row hash SQL', () => {
  it('hashes each column by its type, seeded by its position, NULL a constant', () => {
    expect(rowHashSql(columns, ['a', 'b', 'c'])).toBe(
      '(coalesce(hashint4extended(a, 1), 1) # coalesce(hashtextextended((b) COLLATE "C", 2), 2)' +
        ' # coalesce(hashtextextended((c)::text COLLATE "C", 3), 3))',
    )
    expect(rowHashSql(columns.slice(1, 2), ['b'])).toBe(
      'coalesce(hashtextextended((b) COLLATE "C", 1), 1)',
    )
  })

  it('hashes by text only what its type hash could not tell apart', () => {
    expect(
      ['smallint', 'bigint', 'character varying(64)', 'character(84)', 'uuid'].map(hashKind),
    ).toEqual(['int', 'int', 'text', 'bpchar', 'uuid'])
    // -0 and 0, 1.0 and 1.00, jsonb numbers alike: their text tells them apart
    for (const t of [
      'double precision',
      'real',
      'numeric(14,4)',
      'jsonb',
      'bytea',
      'timestamp with time zone',
    ])
      expect(hashKind(t)).toBe('out')
  })

  it('a column whose type family differs between the sides is hashed by its text on both', () => {
    const target = [
      { name: 'id', type: 'bigint' },
      { name: 'body', type: 'character(10)' },
      { name: 'n', type: 'numeric' },
    ]
    const plain = plainColumns(columns, target)
    expect([...plain]).toEqual(['body'])
    expect(rowHashSql(target, ['a', 'b', 'c'], plain)).toContain('hashint8extended(a, 1)')
    expect(rowHashSql(target, ['a', 'b', 'c'], plain)).toContain(
      'hashtextextended((b)::text COLLATE "C", 2)',
    )
    expect([...plainColumns(columns, columns.slice(0, 2))]).toEqual(['n'])
  })
})
