import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StreamSpool } from '../../src/wal/stream-spool.js'
import { feed, loadFixture } from './wal-fixture-reader.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wal-spool-test-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A message like pgoutput's inside a streamed block: type byte, xid, payload. */
function msg(xid: number, text: string): Buffer {
  const b = Buffer.alloc(5 + text.length)
  b[0] = 0x49
  b.writeUInt32BE(xid, 1)
  b.write(text, 5)
  return b
}
/** Each message read as it is handed out: it is valid only until the next one is asked for. */
const texts = (spool: StreamSpool, xid: number): string[] =>
  Array.from(spool.release(xid), (b) => b.toString('utf8', 5))

describe('stream spool', () => {
  for (const memoryLimit of [1 << 20, 64]) {
    const where = memoryLimit === 64 ? 'on disk' : 'in memory'
    it(`${where}: releases in order, drops aborted subtransactions and what they contain`, () => {
      const spool = new StreamSpool({ memoryLimit, directory: dir })
      const add = (sub: number, t: string): void => {
        const b = msg(sub, t)
        spool.append(100, sub, b, 0, b.length)
      }
      add(100, 'a')
      add(100, 'b')
      add(101, 'sub1-x') // savepoint 1, released later
      add(102, 'sub2-x') // savepoint 2, nested, rolled back
      add(103, 'sub3-x') // nested inside 2
      spool.abort(100, 102)
      add(100, 'c')
      add(104, 'sub4-x')
      spool.abort(100, 999) // a subtransaction that made no change: nothing to drop
      expect(spool.isSpilled(100)).toBe(memoryLimit === 64)
      expect(spool.count(100)).toBe(5)
      expect(texts(spool, 100)).toEqual(['a', 'b', 'sub1-x', 'c', 'sub4-x'])
      expect(spool.size).toBe(0)
      expect(spool.memoryBytes).toBe(0)
      spool.close()
      expect(readdirSync(dir)).toEqual([])
    })
  }

  it('keeps transactions apart, spills the largest first, and a whole abort forgets one', () => {
    const spool = new StreamSpool({ memoryLimit: 200, directory: dir })
    for (let i = 0; i < 20; i++) {
      const big = msg(1, `big-${i}`)
      spool.append(1, 1, big, 0, big.length)
      if (i % 5 === 0) {
        const small = msg(2, `small-${i}`)
        spool.append(2, 2, small, 0, small.length)
      }
    }
    expect(spool.isSpilled(1)).toBe(true)
    expect(spool.isSpilled(2)).toBe(false)
    expect(spool.memoryBytes).toBeLessThanOrEqual(200)
    const third = msg(3, 'gone')
    spool.append(3, 3, third, 0, third.length)
    spool.abort(3, 3)
    expect(texts(spool, 3)).toEqual([])
    expect(texts(spool, 2)).toEqual(['small-0', 'small-5', 'small-10', 'small-15'])
    expect(texts(spool, 1)).toEqual(Array.from({ length: 20 }, (_, i) => `big-${i}`))
    spool.close()
  })

  it('reads a spill file larger than its read chunk back whole (messages cut by chunk ends)', () => {
    const spool = new StreamSpool({ memoryLimit: 1024, directory: dir })
    const expected: string[] = []
    for (let i = 0; i < 2500; i++) {
      const t = `${i}-`.padEnd(997 + (i % 13), 'z')
      expected.push(t)
      const b = msg(7, t)
      spool.append(7, 7, b, 0, b.length)
    }
    expect(spool.isSpilled(7)).toBe(true)
    expect(texts(spool, 7)).toEqual(expected)
    spool.close()
  })

  it('copies what it keeps: later changes to the input do not reach the spool', () => {
    const spool = new StreamSpool({ directory: dir })
    const b = msg(5, 'keep')
    spool.append(5, 5, b, 0, b.length)
    b.fill(0)
    expect(texts(spool, 5)).toEqual(['keep'])
  })

  it('a spool file that cannot be written is PGFERRY_WAL_SPOOL_FAILED', () => {
    const spool = new StreamSpool({
      memoryLimit: 1,
      directory: path.join(dir, 'missing', 'deeper'),
    })
    const b = msg(5, 'x')
    expect(() => spool.append(5, 5, b, 0, b.length)).toThrow(
      expect.objectContaining({ code: 'PGFERRY_WAL_SPOOL_FAILED' }),
    )
  })

  it('decodes a captured streamed stream the same whether spooled in memory or on disk', () => {
    for (const name of ['v14-p2-streaming', 'v17-p4-all']) {
      const bytes = loadFixture(name)
      const inMemory = feed([bytes], 'spool')
      const onDisk = feed([bytes], 'spool', { memoryLimit: 1024, directory: dir })
      expect(onDisk).toEqual(inMemory)
      expect(existsSync(dir) && readdirSync(dir)).toEqual([])
    }
  })

  for (const [memoryLimit, where] of [
    [64 << 20, 'in memory'],
    [2 << 20, 'spilled while in the subtransaction'],
    [64, 'on disk'],
  ] as const) {
    it(`${where}: a subtransaction abort cuts back to its first change across chunks and batches`, () => {
      // ~2.9 MB of messages: many of the spool's chunks (up to 256 KiB) and spill batches, with
      // one message larger than a chunk; the subtransaction begins in the middle of them
      const spool = new StreamSpool({ memoryLimit, directory: dir })
      const expected: string[] = []
      const add = (sub: number, t: string, keep: boolean): void => {
        const b = msg(sub, t)
        spool.append(9, sub, b, 0, b.length)
        if (keep) expected.push(t)
      }
      for (let i = 0; i < 20_000; i++) add(9, `top-${i}-`.padEnd(40 + (i % 50), 'x'), true)
      add(9, 'huge-'.padEnd(300_000, 'h'), true)
      for (let i = 0; i < 10_000; i++) add(10, `sub-${i}-`.padEnd(60, 'y'), false)
      add(10, 'huge-sub-'.padEnd(400_000, 's'), false)
      spool.abort(9, 10)
      for (let i = 0; i < 5_000; i++) add(9, `after-${i}`, true)
      expect(spool.isSpilled(9)).toBe(where !== 'in memory')
      expect(spool.count(9)).toBe(expected.length)
      expect(texts(spool, 9)).toEqual(expected)
      expect(spool.memoryBytes).toBe(0)
      spool.close()
      expect(readdirSync(dir)).toEqual([])
    })
  }

  it('holds small messages in a few chunks, not one heap object each (issue 11)', () => {
    // a full collection before each reading: what is left on the heap is what the spool holds
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const heapUsed = (): number => {
      gc()
      return process.memoryUsage().heapUsed
    }
    const spool = new StreamSpool({ directory: dir })
    const b = msg(11, 'a delete key') // ~30 bytes, like a DELETE by key
    const before = heapUsed()
    for (let i = 0; i < 200_000; i++) spool.append(11, 11, b, 0, b.length)
    const held = heapUsed() - before
    expect(spool.isSpilled(11)).toBe(false)
    // one Buffer per message held ~20 MB of heap here (~100 bytes each)
    expect(held).toBeLessThan(2 * 1024 * 1024)
    expect(spool.count(11)).toBe(200_000)
    spool.close()
  })
})
