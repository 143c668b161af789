import { describe, expect, it } from 'vitest'
import { PROGRESS_KINDS } from '../../src/model/progress-kinds.js'

describe('progress kinds', () => {
  // The kinds are stored data: a task written by an earlier pgferry must resume under this one,
  // so the strings are pinned here and a rename fails this test instead of losing progress.
  it('keeps the stored strings of every built-in kind, each distinct', () => {
    expect(PROGRESS_KINDS).toEqual({
      stage: 'stage',
      schemaDone: 'schema-done',
      postDataPlan: 'postdata-plan',
      postDataDone: 'postdata-done',
      manifest: 'manifest',
      loadedDatabase: 'fullload-database',
      loadedTable: 'fullload-table',
      complete: 'complete',
      sourceObject: 'source-object',
      worker: 'worker',
      pauseRequest: 'pause-request',
    })
    const kinds = Object.values(PROGRESS_KINDS)
    expect(new Set(kinds).size).toBe(kinds.length)
  })
})
