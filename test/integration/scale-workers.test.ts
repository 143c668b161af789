/**
 * Scale-out of the full load over worker processes through the pg-boss queue (issue 15), against
 * real servers and real worker processes. Faults are created, not raced for: a table's inserts
 * wait on a lock the test holds (holdInserts), and a post-data step waits on an advisory lock the
 * test holds, so the worker that runs each is certainly mid-job when it is SIGKILLed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import type pg from 'pg'
import { createTask, openTask, type PgferryEvents, type Task } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, watchLines, type LineWatcher } from '../harness/child.js'
import { prepareDatabases, readyForFullLoad } from '../harness/fullload-suite.js'
import { TABLES, tableDigests } from '../harness/fullload-fixture.js'
import { holdInserts, waitForLockedBackend } from '../harness/held-backend.js'
import { eventually } from '../harness/incremental-fixture.js'
import { HELD_STEP_KEY, saveScalePlan, scaleTask } from '../harness/scale-fixture.js'

let pair: ClusterPair
let queueUrl: string
const children: ChildProcess[] = []

beforeAll(async () => {
  pair = await startPair(16, 16)
  queueUrl = pair.target.url(await pair.target.createDatabase('queue'))
})
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await pair?.stop()
})

interface WorkerChild {
  readonly child: ChildProcess
  readonly lines: LineWatcher
  readonly id: string
}

async function startWorkers(n: number): Promise<WorkerChild[]> {
  const out: WorkerChild[] = []
  for (let i = 0; i < n; i++) {
    const child = spawnTs('test/harness/worker-child.ts', [queueUrl, '1'])
    children.push(child)
    const lines = watchLines(child)
    const ready = await lines.until((l) => l.startsWith('READY '), 120_000)
    out.push({ child, lines, id: ready.slice('READY '.length) })
  }
  return out
}

async function stopWorkers(ws: readonly WorkerChild[]): Promise<void> {
  await Promise.all(
    ws.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return
      const exited = new Promise<void>((r) => w.child.once('exit', () => r()))
      w.child.kill('SIGTERM')
      await exited
    }),
  )
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGKILL')
  await exited
}

/** Every post-data object of the plan is on the target (constraints validated). */
async function expectPostData(tdb: string): Promise<void> {
  const idx = await pair.target.query<{ n: string }>(
    `SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text) AS n
       FROM pg_index WHERE indrelid IN ('public.nums'::regclass, 'public.events'::regclass,
         'public.typed'::regclass, 'public.big'::regclass) AND indisvalid`,
    [],
    tdb,
  )
  expect(idx.rows[0]?.n).toBe('big_id_idx,events_at_idx,nums_pkey,typed_id_idx')
  const cons = await pair.target.query<{ conname: string; convalidated: boolean }>(
    `SELECT conname, convalidated FROM pg_constraint WHERE conname IN ('nums_pkey', 'refs_fk') ORDER BY 1`,
    [],
    tdb,
  )
  expect(cons.rows).toEqual([
    { conname: 'nums_pkey', convalidated: true },
    { conname: 'refs_fk', convalidated: true },
  ])
}

/** One committed chunk row per copied table: nothing copied twice. */
async function expectOneChunkEach(tdb: string, id: string): Promise<void> {
  const r = await pair.target.query<{ n: string; d: string }>(
    `SELECT count(*)::text AS n, count(DISTINCT (rel_oid, chunk))::text AS d
       FROM pgferry.copy_done WHERE task_id = $1`,
    [id],
    tdb,
  )
  expect(r.rows[0]?.n).toBe(String(TABLES.length - 1))
  expect(r.rows[0]?.d).toBe(String(TABLES.length - 1))
}

describe('full load over worker processes (16 → 16)', () => {
  it('three workers, one SIGKILLed mid-chunk and one mid-index: target equal row by row, with every index and constraint', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'scale')
    const holder: pg.Client = await pair.target.client(tdb)
    const watch: pg.Client = await pair.target.client(tdb)
    const workers = await startWorkers(3)
    const id = randomUUID()
    const task: Task = await createTask(
      scaleTask(id, pair.source.url(sdb), pair.target.url(tdb), sdb, tdb, queueUrl),
    )
    try {
      await readyForFullLoad(task)
      await saveScalePlan(task.store, id, pair.source.url(sdb), sdb, tdb)
      const hold = await holdInserts(holder, 'nums')
      await holder.query(`SELECT pg_advisory_lock(${HELD_STEP_KEY})`)
      const claims: PgferryEvents['worker:job'][] = []
      task.on('worker:job', (e) => claims.push(e))
      const load = task.fullLoad()
      load.catch(() => undefined)
      // the nums chunk is in flight on one worker, its COPY waiting on the held lock
      await eventually(async () => claims.some((c) => c.name.startsWith('public.nums')), 180_000)
      await waitForLockedBackend(watch, tdb, '%COPY%nums%', 180_000)
      // the held index step is in flight on another, waiting on the advisory lock
      await eventually(async () => claims.some((c) => c.name === 'public.big_id_idx'), 180_000)
      await waitForLockedBackend(watch, tdb, '%pg_advisory_xact_lock_shared%', 180_000)
      const chunkWorker = claims.find((c) => c.name.startsWith('public.nums'))?.worker
      const stepWorker = claims.find((c) => c.name === 'public.big_id_idx')?.worker
      expect(chunkWorker).not.toBe(stepWorker)
      const byId = (w: string | undefined): WorkerChild => {
        const found = workers.find((x) => x.id === w)
        if (found === undefined) throw new Error(`no worker ${w}`)
        return found
      }
      await kill(byId(chunkWorker).child)
      await kill(byId(stepWorker).child)
      await hold.release()
      await holder.query(`SELECT pg_advisory_unlock(${HELD_STEP_KEY})`)
      const result = await load
      expect(result.tables).toBe(TABLES.length - 1)
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
      await expectPostData(tdb)
      await expectOneChunkEach(tdb, id)
      // the killed workers' jobs were finished by the one still alive
      const survivor = workers.find((w) => w.id !== chunkWorker && w.id !== stepWorker)?.id
      const done = claims.filter((c) => c.state === 'done')
      expect(done.find((c) => c.name.startsWith('public.nums'))?.worker).toBe(survivor)
      expect(done.find((c) => c.name === 'public.big_id_idx')?.worker).toBe(survivor)
      expect(task.state).toBe('completed')
    } finally {
      await task.close()
      await stopWorkers(workers)
      await holder.end()
      await watch.end()
    }
  }, 600_000)

  it('resumes after the coordinator is SIGKILLed: the queue is rebuilt from the manifest, target equal row by row', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'scale_coord')
    const holder: pg.Client = await pair.target.client(tdb)
    const watch: pg.Client = await pair.target.client(tdb)
    const workers = await startWorkers(2)
    const id = randomUUID()
    try {
      const hold = await holdInserts(holder, 'nums')
      const coordinator = spawnTs('test/harness/coordinator-child.ts', [
        id,
        pair.source.url(sdb),
        pair.target.url(tdb),
        sdb,
        tdb,
        queueUrl,
      ])
      children.push(coordinator)
      const lines = watchLines(coordinator)
      await lines.until((l) => / public\.nums /.test(l) && l.startsWith('CLAIMED'), 180_000)
      await waitForLockedBackend(watch, tdb, '%COPY%nums%', 180_000)
      await kill(coordinator)
      await hold.release()
      const task = await openTask(id, { target: pair.target.url(tdb) })
      try {
        expect(task.state).toBe('running_full_load')
        const result = await task.fullLoad()
        expect(result.tables).toBe(TABLES.length - 1)
        expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
        await expectPostData(tdb)
        expect(task.state).toBe('completed')
      } finally {
        await task.close()
      }
    } finally {
      await stopWorkers(workers)
      await holder.end()
      await watch.end()
    }
  }, 600_000)

  it('two tasks share one queue: each job runs with its own task, both targets equal their sources', async () => {
    const a = await prepareDatabases(pair, 'scale_a')
    const b = await prepareDatabases(pair, 'scale_b')
    const workers = await startWorkers(2)
    const tasks: Task[] = []
    try {
      for (const { sdb, tdb } of [a, b]) {
        const id = randomUUID()
        const task = await createTask(
          scaleTask(id, pair.source.url(sdb), pair.target.url(tdb), sdb, tdb, queueUrl),
        )
        tasks.push(task)
        await readyForFullLoad(task)
        await saveScalePlan(task.store, id, pair.source.url(sdb), sdb, tdb)
      }
      const seen = new Map<string, Set<string>>()
      for (const t of tasks)
        t.on('worker:job', (e) => {
          expect(e.taskId).toBe(t.id)
          seen.set(t.id, (seen.get(t.id) ?? new Set()).add(e.database))
        })
      await Promise.all(tasks.map((t) => t.fullLoad()))
      for (const [i, { sdb, tdb }] of [a, b].entries()) {
        expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
        await expectPostData(tdb)
        await expectOneChunkEach(tdb, tasks[i]?.id ?? '')
        expect([...(seen.get(tasks[i]?.id ?? '') ?? [])]).toEqual([sdb])
      }
    } finally {
      for (const t of tasks) await t.close()
      await stopWorkers(workers)
    }
  }, 600_000)
})
