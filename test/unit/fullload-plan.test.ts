import { describe, expect, it } from 'vitest'
import {
  chunkCount,
  ctidCanSplit,
  largestFirst,
  notSplitReason,
  planChunks,
} from '../../src/fullload/work-plan.js'
import { chooseFormat, copySql } from '../../src/fullload/copy-pipe.js'
import { completeEpoch, type DoneChunk } from '../../src/fullload/chunk-progress.js'
import {
  parsePostDataDoneKey,
  postDataDoneKey,
  postDataSearchPath,
} from '../../src/fullload/post-data-runner.js'
import { Throttle } from '../../src/fullload/throttle.js'
import { loadedTableKey } from '../../src/fullload/load-progress.js'
import { publicationName, slotName } from '../../src/fullload/snapshot.js'
import type { CopyColumn } from '../../src/catalog/columns-for-copy.js'

const col = (name: string, typeOid: number, binarySafe = true): CopyColumn => ({
  name,
  typeOid,
  type: 'x',
  binarySafe,
})

describe('work plan', () => {
  it('keeps small tables whole and splits large ones into about split-size chunks', () => {
    expect(chunkCount(100, 0)).toBe(1)
    expect(chunkCount(100, 100)).toBe(1)
    expect(chunkCount(101, 100)).toBe(2)
    expect(chunkCount(1000, 100)).toBe(10)
    expect(planChunks({ bytes: 50, ctidBlocks: 10, intKey: undefined }, 100)).toEqual([
      { index: 0, count: 1, where: undefined },
    ])
  })

  it('covers every block with ctid ranges open at both ends', () => {
    const plan = planChunks({ bytes: 1000, ctidBlocks: 10, intKey: undefined }, 300)
    expect(plan.map((c) => c.where)).toEqual([
      `ctid < '(3,0)'::tid`,
      `ctid >= '(3,0)'::tid AND ctid < '(6,0)'::tid`,
      `ctid >= '(6,0)'::tid AND ctid < '(9,0)'::tid`,
      `ctid >= '(9,0)'::tid`,
    ])
    expect(plan.every((c) => c.count === 4)).toBe(true)
  })

  it('never makes more ctid chunks than blocks, and leaves a one-block table whole', () => {
    expect(planChunks({ bytes: 10_000, ctidBlocks: 2, intKey: undefined }, 1).length).toBe(2)
    expect(planChunks({ bytes: 10_000, ctidBlocks: 1, intKey: undefined }, 1).length).toBe(1)
  })

  it('splits by integer key ranges (bigint-safe, quoted column) when ctid ranges are not possible', () => {
    const plan = planChunks(
      {
        bytes: 1000,
        ctidBlocks: undefined,
        intKey: { column: 'Id', min: 9007199254740993n, max: 9007199254741002n },
      },
      500,
    )
    expect(plan.map((c) => c.where)).toEqual([
      `"Id" < 9007199254740998`,
      `"Id" >= 9007199254740998`,
    ])
    expect(
      planChunks(
        { bytes: 1000, ctidBlocks: undefined, intKey: { column: 'k', min: 5n, max: 5n } },
        10,
      ),
    ).toHaveLength(1)
    expect(planChunks({ bytes: 1000, ctidBlocks: undefined, intKey: undefined }, 10)).toHaveLength(
      1,
    )
  })

  it('says truly why a table above the split size stays whole (PGFERRY_FULLLOAD_NOT_SPLIT)', () => {
    // v14+ heap table whose rows live in TOAST: one main-fork block, no integer key
    expect(ctidCanSplit(1)).toBe(false)
    expect(notSplitReason({ sourceVersion: 160000, heapBlocks: 1, intKey: undefined })).toBe(
      'its main fork has 1 block, too few for ctid ranges (its size is in TOAST or indexes), and it has no unique NOT NULL integer column',
    )
    expect(notSplitReason({ sourceVersion: 130000, heapBlocks: 500, intKey: undefined })).toBe(
      'ctid ranges need a v14+ source, and it has no unique NOT NULL integer column',
    )
    expect(notSplitReason({ sourceVersion: 160000, heapBlocks: undefined, intKey: 'id' })).toBe(
      'it is not a heap table, so it has no ctid ranges, and its integer key id holds at most one value',
    )
  })

  it('orders units largest first, ties by key', () => {
    const u = largestFirst([
      { key: 'b', bytes: 1 },
      { key: 'a', bytes: 1 },
      { key: 'c', bytes: 5 },
    ])
    expect(u.map((x) => x.key)).toEqual(['c', 'a', 'b'])
  })
})

describe('copy pipe decisions', () => {
  it('uses binary only when every column is binary-safe with the same type on both sides', () => {
    expect(chooseFormat([col('a', 23), col('b', 25)], [col('b', 25), col('a', 23)])).toBe('binary')
    expect(chooseFormat([col('a', 23, false)], [col('a', 23)])).toBe('text')
    expect(chooseFormat([col('a', 23)], [col('a', 20)])).toBe('text')
    expect(chooseFormat([col('a', 23)], [])).toBe('text')
  })

  it('builds quoted COPY statements: whole table with FREEZE, or a chunk from ONLY the table', () => {
    const whole = copySql(
      { schema: 'S', name: 'T"x' },
      { schema: 'tgt', name: 'T"x' },
      [col('a b', 23)],
      'binary',
      undefined,
      true,
    )
    expect(whole.source).toBe(`COPY "S"."T""x" ("a b") TO STDOUT WITH (FORMAT binary)`)
    expect(whole.target).toBe(`COPY "tgt"."T""x" ("a b") FROM STDIN WITH (FORMAT binary, FREEZE)`)
    const part = copySql(
      { schema: 's', name: 't' },
      { schema: 's', name: 't' },
      [col('a', 23)],
      'text',
      'ctid < x',
      false,
    )
    expect(part.source).toBe(
      `COPY (SELECT "a" FROM ONLY "s"."t" WHERE ctid < x) TO STDOUT WITH (FORMAT text)`,
    )
    expect(part.target).toBe(`COPY "s"."t" ("a") FROM STDIN WITH (FORMAT text)`)
  })
})

describe('progress', () => {
  const chunk = (chunkNo: number, chunks: number, epoch: string): DoneChunk => ({
    relOid: 1,
    chunk: chunkNo,
    chunks,
    epoch,
    rows: 1,
    bytes: 1,
    syncLsn: undefined,
  })
  it('calls a table complete only when one epoch has all its chunks', () => {
    expect(completeEpoch(undefined)).toBeUndefined()
    expect(completeEpoch([chunk(0, 2, 'a')])).toBeUndefined()
    expect(completeEpoch([chunk(0, 2, 'a'), chunk(1, 2, 'b')])).toBeUndefined()
    expect(completeEpoch([chunk(0, 2, 'a'), chunk(1, 2, 'b'), chunk(1, 2, 'a')])).toBe('a')
    expect(completeEpoch([chunk(0, 1, 'z')])).toBe('z')
  })

  it('keeps NUL out of store keys and reads the older separators', () => {
    expect(postDataDoneKey('db', 'index:x')).not.toContain('\u0000')
    expect(parsePostDataDoneKey('db', postDataDoneKey('db', 'index:x'))).toBe('index:x')
    expect(parsePostDataDoneKey('db', 'db\u0000k')).toBe('k')
    expect(parsePostDataDoneKey('db', 'other\u001fk')).toBeUndefined()
    expect(loadedTableKey('a/b', 42)).toBe('a/b/42')
  })

  it('runs post-data under the structure stage search_path: renamed schemas, then pg_catalog', () => {
    expect(postDataSearchPath(undefined)).toBe('')
    expect(postDataSearchPath([{ name: 'a', as: 'a' }])).toBe('')
    expect(
      postDataSearchPath([
        { name: 'a', as: 'a' },
        { name: 'b', as: 'New"B' },
      ]),
    ).toBe('"New""B", pg_catalog')
  })

  it('names slots within 63 lowercase characters, distinct per database', () => {
    const id = 'Task-With-A-Very-Long-Identifier-0123456789-0123456789-0123456789'
    const a = slotName(id, 'shop')
    const b = slotName(id, 'Shop')
    expect(a).toMatch(/^[a-z0-9_]{1,63}$/)
    expect(a).not.toBe(b)
    expect(publicationName(id)).toMatch(/^[a-z0-9_]{1,63}$/)
  })
})

describe('throttle', () => {
  it('does nothing without a cap, and paces bytes once the burst allowance is used', () => {
    expect(new Throttle(undefined).active).toBe(false)
    expect(new Throttle(undefined).delay(1e9, 1)).toBe(0)
    const t = new Throttle({ bytesPerSecond: 1000 })
    expect(t.active).toBe(true)
    const first = t.delay(10, 1)
    expect(first).toBe(0)
    // 1000 more bytes at 1000 B/s: about a second later
    expect(t.delay(1000, 1)).toBeGreaterThan(800)
  })

  it('turns a rows/s cap into a byte cap through the average row size', () => {
    const t = new Throttle({ rowsPerSecond: 10 })
    t.delay(0, 100)
    // 2,000 bytes of 100-byte rows = 20 rows = 2 s at 10 rows/s
    expect(t.delay(2000, 100)).toBeGreaterThan(1800)
  })
})
