import { describe, expect, it } from 'vitest'
import { TASK_TRANSITIONS, canTransition, type TaskState } from '../../src/model/task-state.js'
import { assertTransition } from '../../src/stage/assert-transition.js'
import { PgferryError } from '../../src/errors.js'

describe('task state machine', () => {
  it('follows the service order for a full+incremental task', () => {
    const path: TaskState[] = [
      'created',
      'prechecking',
      'ready',
      'running_structure',
      'running_full_load',
      'incremental_sync',
      'completing',
      'completed',
    ]
    for (let i = 1; i < path.length; i++)
      expect(canTransition(path[i - 1] as TaskState, path[i] as TaskState)).toBe(true)
  })

  it('lets failed and paused tasks resume into any running stage', () => {
    for (const from of ['failed', 'paused'] as const) {
      for (const to of [
        'running_structure',
        'running_full_load',
        'incremental_sync',
        'completing',
      ] as const) {
        expect(canTransition(from, to)).toBe(true)
      }
    }
  })

  it.each([
    ['created', 'running_full_load'],
    ['precheck_failed', 'running_structure'],
    ['completed', 'prechecking'],
    ['completed', 'failed'],
    ['incremental_sync', 'running_structure'],
    ['ready', 'completed'],
  ] as const)('rejects %s → %s with PGFERRY_TASK_STATE and the allowed moves', (from, to) => {
    expect(canTransition(from, to)).toBe(false)
    try {
      assertTransition(from, to, 't1')
      throw new Error('no throw')
    } catch (e) {
      expect(e).toBeInstanceOf(PgferryError)
      expect((e as PgferryError).code).toBe('PGFERRY_TASK_STATE')
      expect((e as PgferryError).message).toContain(`'${from}' to '${to}'`)
    }
  })

  it('has an entry for every state, and completed is terminal', () => {
    expect(Object.keys(TASK_TRANSITIONS).sort()).toHaveLength(11)
    expect(TASK_TRANSITIONS.completed).toEqual([])
  })
})
