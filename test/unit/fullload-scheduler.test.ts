import { describe, expect, it } from 'vitest'
import { ChunkScheduler } from '../../src/fullload/chunk-scheduler.js'

describe('chunk scheduler', () => {
  it('prefers a chunk of a table no lane is copying, and never runs more than its slots', async () => {
    const s = new ChunkScheduler(2)
    const order: string[] = []
    let running = 0
    let peak = 0
    const release = new Map<string, () => void>()
    const job = (table: number, name: string): Promise<void> =>
      s.run(table, async () => {
        order.push(name)
        peak = Math.max(peak, ++running)
        await new Promise<void>((r) => release.set(name, r))
        running--
      })
    // largest first: table 1 has 3 chunks, table 2 has 2, table 3 has 1
    const all = [job(1, 'a1'), job(1, 'a2'), job(1, 'a3'), job(2, 'b1'), job(2, 'b2'), job(3, 'c1')]
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))
    await tick()
    expect(order).toEqual(['a1', 'b1'])
    release.get('a1')?.()
    await tick()
    expect(order).toEqual(['a1', 'b1', 'a2'])
    release.get('b1')?.()
    await tick()
    // a is being copied: the next table's chunk goes first
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2'])
    release.get('b2')?.()
    await tick()
    expect(order.at(-1)).toBe('c1')
    release.get('c1')?.()
    await tick()
    // only table a is left: its chunks run side by side
    expect(order.at(-1)).toBe('a3')
    release.get('a2')?.()
    release.get('a3')?.()
    await Promise.all(all)
    expect(peak).toBe(2)
  })

  it('frees the slot when a job throws', async () => {
    const s = new ChunkScheduler(1)
    await expect(s.run(1, () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    await expect(s.run(1, () => Promise.resolve(5))).resolves.toBe(5)
  })
})
