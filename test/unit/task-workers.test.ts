/**
 * Which worker does what (issue 15): a worker's record in the task's store (WorkerBeacon) and the
 * workers `status` lists from it (readTaskWorkers), over the memory store.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { TaskRecord } from '../../src/model/progress-store.js'
import { PROGRESS_KINDS } from '../../src/model/progress-kinds.js'
import { WorkerBeacon } from '../../src/task/worker-beacon.js'
import { RECENT_WORKER_MS, readTaskWorkers } from '../../src/task/task-workers.js'
import { statusRows } from '../../src/cli/status-view.js'
import type { TaskStatusReport } from '../../src/index.js'

const task = {
  id: 't',
  name: 't',
  type: 'full',
  state: 'running_full_load',
  config: { workers: { jobTimeoutSeconds: 10 } },
  skippedChecks: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
} as unknown as TaskRecord
const who = { worker: 'w1', host: 'h1', pid: 101 }
const chunk = { kind: 'chunk' as const, database: 'app', name: 'public.a chunk 1/2', since: '' }

describe('worker records', () => {
  it('a worker claims, beats and ends jobs: its record lists what it holds, in order of the writes', async () => {
    const store = new MemoryStore()
    const beacon = new WorkerBeacon(who)
    const since = new Date().toISOString()
    await beacon.claimed('t', store, 'j1', { ...chunk, since })
    const step = { kind: 'step' as const, database: 'app', name: 'public.a_idx', since }
    await beacon.claimed('t', store, 'j2', step)
    let workers = await readTaskWorkers(store, task)
    expect(workers).toHaveLength(1)
    expect(workers[0]).toMatchObject({ worker: 'w1', host: 'h1', pid: 101, busy: true })
    expect(workers[0]?.jobs.map((j) => j.name)).toEqual(['public.a chunk 1/2', 'public.a_idx'])
    expect(workers[0]?.jobs[0]?.since).toEqual(new Date(since))
    // an end issued right after a beat: the record ends without the job, whatever lands first
    beacon.beat('t')
    const ended = beacon.ended('t', 'j1')
    beacon.beat('t')
    await ended
    await beacon.ended('t', 'j2')
    workers = await readTaskWorkers(store, task)
    expect(workers[0]?.jobs).toEqual([])
    expect(workers[0]?.busy).toBe(false)
  })

  it('lists recent workers busy first; one that stopped beating mid-job is not busy; old ones are left out', async () => {
    const store = new MemoryStore()
    const now = Date.parse('2026-12-02T12:00:00Z')
    const at = (ms: number): string => new Date(now - ms).toISOString()
    const put = (worker: string, beatMs: number, jobs: unknown[]): Promise<void> =>
      store.putProgress('t', [
        {
          kind: PROGRESS_KINDS.worker,
          key: worker,
          value: { worker, host: 'h', pid: 1, beatAt: at(beatMs), jobs },
        },
      ])
    await put('a-idle', 1_000, [])
    await put('b-dead', 11_000, [{ ...chunk, since: at(60_000) }])
    await put('c-busy', 2_000, [{ ...chunk, since: at(5_000) }])
    await put('d-gone', RECENT_WORKER_MS + 1, [])
    const workers = await readTaskWorkers(store, task, now)
    expect(workers.map((w) => [w.worker, w.busy])).toEqual([
      ['c-busy', true],
      ['a-idle', false],
      ['b-dead', false],
    ])
    const report = { task, workers, tables: [] }
    const rows = statusRows(
      {
        runState: 'stopped',
        runner: undefined,
        warnings: [],
        errors: [],
        next: 'x',
        ...report,
      } as unknown as TaskStatusReport,
      undefined,
    ).filter(([label]) => label === 'worker')
    expect(rows.map(([, text]) => text)).toEqual([
      'c-busy (pid 1 on h): chunk app:public.a chunk 1/2 since 2026-12-02T11:59:55Z, last beat 2026-12-02T11:59:58Z',
      'a-idle (pid 1 on h): idle for this task, last beat 2026-12-02T11:59:59Z',
      'b-dead (pid 1 on h): stopped beating while it held chunk app:public.a chunk 1/2 since 2026-12-02T11:59:00Z (handed to another worker after the job timeout), last beat 2026-12-02T11:59:49Z',
    ])
  })

  it('a record of another shape is refused naming the field', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      {
        kind: PROGRESS_KINDS.worker,
        key: 'w',
        value: { ...who, beatAt: 'x', jobs: [{ kind: 'chunk' }] },
      },
    ])
    await expect(readTaskWorkers(store, task)).rejects.toMatchObject({
      code: 'PGFERRY_STORE_RECORD_INVALID',
      message: expect.stringContaining("a job's database"),
    })
  })
})
