import { describe, expect, it } from 'vitest'
import type { SelectedRelation } from '../../src/catalog/selection.js'
import type { DoneChunk } from '../../src/fullload/chunk-progress.js'
import { loadedTableEntries, unevenPartitions } from '../../src/fullload/sync-points.js'

const rel = (oid: number, kind: 'r' | 'p', parentOid?: number): SelectedRelation => ({
  oid,
  schema: 'public',
  name: `t${oid}`,
  kind,
  persistence: 'p',
  targetSchema: 'public',
  parentOid,
  reason: 'explicit',
  bytes: 0,
  estimatedRows: 0,
})
const chunk = (relOid: number, epoch: string, syncLsn?: string, i = 0, n = 1): DoneChunk => ({
  relOid,
  chunk: i,
  chunks: n,
  epoch,
  rows: 10,
  bytes: 100,
  syncLsn,
})

// root 1 > sub-root 2 > leaves 3, 4; root 1 > leaf 5; plain table 6
const relations = [
  rel(1, 'p'),
  rel(2, 'p', 1),
  rel(3, 'r', 2),
  rel(4, 'r', 2),
  rel(5, 'r', 1),
  rel(6, 'r'),
]
const tables = relations.filter((r) => r.kind === 'r')

describe('sync points from the target chunk rows', () => {
  it('gives every complete table and every partitioned table above complete leaves its sync LSN', () => {
    const done = new Map([
      [
        3,
        [chunk(3, 'b', '0/20', 0, 2), chunk(3, 'b', '0/20', 1, 2), chunk(3, 'a', undefined, 0, 2)],
      ],
      [4, [chunk(4, 'b', '0/20')]],
      [5, [chunk(5, 'b', '0/20')]],
      [6, [chunk(6, 'a')]],
    ])
    const entries = loadedTableEntries('db', relations, tables, done)
    const byOid = new Map(entries.map((e) => [e.value.oid, e.value]))
    expect([...byOid.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6])
    expect(byOid.get(1)?.syncLsn).toBe('0/20')
    expect(byOid.get(2)?.syncLsn).toBe('0/20')
    expect(byOid.get(3)).toMatchObject({ syncLsn: '0/20', rows: 20, bytes: 200 })
    expect(byOid.get(6)?.syncLsn).toBeNull()
    expect(entries[0]?.key).toBe('db/3')
  })

  it('leaves out incomplete tables and the partitioned tables above them', () => {
    const done = new Map([
      [3, [chunk(3, 'b', '0/20', 0, 2)]],
      [4, [chunk(4, 'b', '0/20')]],
      [5, [chunk(5, 'b', '0/20')]],
    ])
    const oids = loadedTableEntries('db', relations, tables, done).map((e) => e.value.oid)
    expect(oids.sort()).toEqual([4, 5])
  })

  it('finds the partitions of a root copied under different snapshots', () => {
    const even = new Map([
      [3, [chunk(3, 'b', '0/20')]],
      [5, [chunk(5, 'b', '0/20')]],
      [6, [chunk(6, 'a', '0/10')]],
    ])
    expect(unevenPartitions(relations, tables, even)).toEqual(new Set())
    const uneven = new Map([...even, [4, [chunk(4, 'a')]]])
    expect(unevenPartitions(relations, tables, uneven)).toEqual(new Set([3, 4, 5]))
  })
})
