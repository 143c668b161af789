/**
 * Custom stages are peers of the built-ins (issue 12): the runner treats a stage by the kind it
 * declares, never by its name. A custom stage after the last built-in fails the task like a
 * built-in and resumes like one; a custom gate stops the run like a failed precheck; a custom
 * stream is started again by every run, like `incremental`; a custom cutover waits for
 * `complete()`, like `complete`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type Stage } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  leftovers,
  structuredTask,
} from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** The task's row in the store (in the target's `postgres` database). */
const storedTask = async (
  id: string,
): Promise<{ state: string; stage: string | null; error: string | null } | undefined> =>
  (
    await pair.target.query<{ state: string; stage: string | null; error: string | null }>(
      'SELECT state, stage, error FROM pgferry.task WHERE id = $1',
      [id],
    )
  ).rows[0]

describe('custom stages are peers of the built-ins', () => {
  it('a failing stage after the full load fails the task; the next run resumes with that stage alone and completes', async () => {
    const db = await pair.source.createDatabase('afterload')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g`,
      [],
      db,
    )
    let runs = 0
    const check: Stage = {
      name: 'check',
      after: 'fullload',
      async run(ctx) {
        runs++
        const c = await ctx.connect('target', { database: db })
        const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM t')
        if (runs === 1) throw new Error(`check saw ${r.rows[0]?.n} rows and refused once`)
        return Number(r.rows[0]?.n)
      },
    }
    const task = await createTask({
      name: 'after-load',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'full',
      objects: { databases: { [db]: true } },
      stages: [check],
    })
    const started: string[] = []
    task.on('stage:start', (e) => started.push(e.stage))
    try {
      await expect(task.run()).rejects.toMatchObject({
        code: 'PGFERRY_STAGE_FAILED',
        stage: 'check',
      })
      expect(task.state).toBe('failed')
      expect(await storedTask(task.id)).toMatchObject({ state: 'failed', stage: 'check' })
      expect((await storedTask(task.id))?.error).toContain("stage 'check' failed")

      started.length = 0
      const result = await task.run()
      expect(started).toEqual(['check'])
      expect(result.results).toEqual({ check: 500 })
      expect(runs).toBe(2)
      expect(task.state).toBe('completed')
      expect(await storedTask(task.id)).toMatchObject({ state: 'completed' })
      const n = await pair.target.query<{ n: string }>('SELECT count(*) AS n FROM t', [], db)
      expect(n.rows[0]?.n).toBe('500')
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a failing custom gate stops the run like a failed precheck; passing it on the next run lets the schema in', async () => {
    const src = await pair.source.createDatabase('gated')
    await pair.source.query(`CREATE TABLE gated_t (id int PRIMARY KEY)`, [], src)
    let open = false
    const gate: Stage = {
      name: 'change-window',
      after: 'precheck',
      kind: 'gate',
      run: async () => ({
        ok: open,
        items: [{ id: 'window.open', status: open ? 'pass' : 'fail' }],
      }),
    }
    const task = await createTask({
      name: 'gated',
      source: pair.source.config(src),
      target: pair.target.config('postgres'),
      type: 'structure',
      objects: { databases: { [src]: true } },
      stages: [gate],
    })
    /** The migrated table on the target, or null while its database is not there. */
    const regclass = async (): Promise<string | null> => {
      const exists = await pair.target.query('SELECT 1 FROM pg_database WHERE datname = $1', [src])
      if (exists.rowCount === 0) return null
      const r = await pair.target.query<{ r: string | null }>(
        `SELECT to_regclass('public.gated_t')::text AS r`,
        [],
        src,
      )
      return r.rows[0]?.r ?? null
    }
    try {
      const error = await task.run().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'PGFERRY_TASK_PRECHECK_FAILED' })
      expect((error as Error).message).toContain('window.open')
      expect(task.state).toBe('precheck_failed')
      expect(await storedTask(task.id)).toMatchObject({ state: 'precheck_failed' })
      expect(await regclass()).toBeNull()

      open = true
      await expect(task.run()).resolves.toMatchObject({ state: 'completed' })
      expect(await regclass()).toBe('gated_t')
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a custom gate at the very end of the pipeline completes the task when it passes', async () => {
    const src = await pair.source.createDatabase('endgate')
    await pair.source.query(`CREATE TABLE endgate_t (id int PRIMARY KEY)`, [], src)
    let passes = false
    const gate: Stage = {
      name: 'sign-off',
      after: 'schema',
      kind: 'gate',
      run: async () => ({
        ok: passes,
        items: [{ id: 'signed', status: passes ? 'pass' : 'fail' }],
      }),
    }
    const task = await createTask({
      name: 'end gate',
      source: pair.source.config(src),
      target: pair.target.config('postgres'),
      type: 'structure',
      objects: { databases: { [src]: true } },
      stages: [gate],
    })
    try {
      await expect(task.run()).rejects.toMatchObject({ code: 'PGFERRY_TASK_PRECHECK_FAILED' })
      expect(await storedTask(task.id)).not.toMatchObject({ state: 'completed' })
      passes = true
      await expect(task.run()).resolves.toMatchObject({ state: 'completed' })
      expect(task.state).toBe('completed')
      expect(await storedTask(task.id)).toMatchObject({ state: 'completed' })
      const r = await pair.target.query<{ r: string | null }>(
        `SELECT to_regclass('public.endgate_t')::text AS r`,
        [],
        src,
      )
      expect(r.rows[0]?.r).toBe('endgate_t')
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a custom stream is started by every run like incremental, and a custom cutover waits for complete()', async () => {
    const db = await pair.source.createDatabase('streamed')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const calls: string[] = []
    const tail: Stage = {
      name: 'tail',
      after: 'incremental',
      kind: 'stream',
      run: async () => {
        calls.push('tail')
        return { running: true }
      },
    }
    const announce: Stage = {
      name: 'announce',
      after: 'tail',
      kind: 'cutover',
      run: async () => {
        calls.push('announce')
      },
    }
    const task = await structuredTask(pair, db, { config: { stages: [tail, announce] } })
    try {
      await task.run()
      expect(calls).toEqual(['tail'])
      expect(task.state).toBe('incremental_sync')
      await task.run()
      expect(calls).toEqual(['tail', 'tail'])
      await pair.source.query(`INSERT INTO parent VALUES (9001, 'late')`, [], db)
      await task.complete()
      expect(calls).toEqual(['tail', 'tail', 'announce'])
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 180_000)
})
