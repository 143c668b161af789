import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { TaskRecord } from '../../src/model/progress-store.js'

const record = (id: string): TaskRecord => ({
  id,
  name: id,
  type: 'full',
  state: 'created',
  config: {},
  tags: {},
  stage: undefined,
  error: undefined,
  skippedChecks: [],
  createdAt: new Date(),
  updatedAt: new Date(),
})

describe('MemoryStore', () => {
  it('keeps tasks, refuses duplicates, and updates with compare-and-set', async () => {
    const s = new MemoryStore()
    await s.saveTask(record('a'))
    await expect(s.saveTask(record('a'))).rejects.toMatchObject({ code: 'PGFERRY_TASK_EXISTS' })
    expect(await s.updateTask('a', { state: 'prechecking' }, 'ready')).toBe(false)
    expect(await s.updateTask('a', { state: 'prechecking' }, 'created')).toBe(true)
    expect((await s.loadTask('a'))?.state).toBe('prechecking')
    expect(await s.updateTask('missing', { state: 'ready' })).toBe(false)
  })

  it('upserts progress by kind and key and deletes everything of a task', async () => {
    const s = new MemoryStore()
    await s.saveTask(record('a'))
    await s.putProgress('a', [
      { kind: 'chunk', key: 't#1', value: { rows: 1 } },
      { kind: 'chunk', key: 't#2', value: { rows: 2 } },
    ])
    await s.putProgress('a', [{ kind: 'chunk', key: 't#1', value: { rows: 10 } }])
    expect(await s.getProgress('a', 'chunk')).toEqual([
      { kind: 'chunk', key: 't#1', value: { rows: 10 } },
      { kind: 'chunk', key: 't#2', value: { rows: 2 } },
    ])
    await s.deleteProgress('a', 'chunk', 't#2')
    expect(await s.getProgress('a', 'chunk')).toHaveLength(1)
    await s.appendEvent('a', { at: new Date(), name: 'warning', payload: { m: 1 } })
    await s.deleteTask('a')
    expect(await s.loadTask('a')).toBeUndefined()
    expect(await s.getProgress('a', 'chunk')).toEqual([])
    expect(await s.listEvents('a')).toEqual([])
  })

  it('leases a task to one holder: refused while live, taken when stale or replaced, released by its holder only', async () => {
    const s = new MemoryStore()
    await s.saveTask(record('a'))
    const one = { token: 'one', host: 'h1', pid: 1 }
    const two = { token: 'two', host: 'h2', pid: 2 }
    const live = { staleAfterMs: 60_000 }
    expect(await s.acquireLease('a', one, live)).toEqual({ acquired: true })
    expect(await s.acquireLease('a', one, live)).toEqual({ acquired: true })
    const refused = await s.acquireLease('a', two, live)
    expect(refused).toMatchObject({ acquired: false, held: { token: 'one', host: 'h1', pid: 1 } })
    await s.releaseLease('a', 'two')
    expect((await s.getLease('a'))?.token).toBe('one')
    expect(await s.acquireLease('a', two, { ...live, replace: 'other' })).toMatchObject({
      acquired: false,
    })
    expect(await s.acquireLease('a', two, { ...live, replace: 'one' })).toEqual({ acquired: true })
    expect(await s.renewLease('a', 'one')).toBe(false)
    expect(await s.renewLease('a', 'two')).toBe(true)
    // any beat is older than -1 ms: stale without waiting
    expect(await s.acquireLease('a', one, { staleAfterMs: -1 })).toEqual({ acquired: true })
    await s.releaseLease('a', 'one')
    expect(await s.getLease('a')).toBeUndefined()
  })
})
