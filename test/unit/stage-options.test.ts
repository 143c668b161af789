/**
 * A stage call's options are checked before the task moves: an invalid one is the caller's
 * mistake, rejected with PGFERRY_OPTIONS_INVALID, and leaves the task as it was (no server needed:
 * the check comes before any connection).
 */
import { describe, expect, it } from 'vitest'
import { createTask, type Task } from '../../src/index.js'

/** A task whose servers do not exist: nothing here may connect. */
const unconnectedTask = (): Promise<Task> =>
  createTask({
    name: 'options',
    source: 'postgres://u@127.0.0.1:1/db',
    target: 'postgres://u@127.0.0.1:1/db',
    type: 'full+incremental',
    store: 'memory',
  })

describe('stage call options', () => {
  it('precheck naming an unknown item to skip rejects before the task moves', async () => {
    const task = await unconnectedTask()
    try {
      await expect(task.precheck({ skip: ['source.no-such-item'] })).rejects.toMatchObject({
        code: 'PGFERRY_PRECHECK_ITEM_UNKNOWN',
        stage: 'precheck',
      })
      expect(task.state).toBe('created')
      expect((await task.store.loadTask(task.id))?.state).toBe('created')
    } finally {
      await task.close()
    }
  })

  it('startIncremental with an invalid option rejects before the task moves', async () => {
    const task = await unconnectedTask()
    try {
      await expect(task.startIncremental({ batchRows: 0 })).rejects.toMatchObject({
        code: 'PGFERRY_OPTIONS_INVALID',
        stage: 'incremental',
      })
      expect(task.state).toBe('created')
      expect((await task.store.loadTask(task.id))?.state).toBe('created')
      expect(await task.store.listEvents(task.id)).toEqual([])
    } finally {
      await task.close()
    }
  })
})
