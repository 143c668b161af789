import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTask,
  deleteTask,
  getTask,
  listTasks,
  openTask,
  PgferryError,
  type PgferryEvents,
  type Stage,
  type StageContext,
} from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { runTs } from '../harness/child.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 17)
})
afterAll(async () => {
  await pair?.stop()
})

async function freshTargetDb(): Promise<string> {
  return pair.target.createDatabase('store')
}

describe('task core against real clusters', () => {
  it('creates the versioned store on first use and round-trips a task across two processes', async () => {
    const db = await freshTargetDb()
    const task = await createTask({
      name: 'cross-process',
      source: { ...pair.source.config(), password: 'source-pw-123' },
      target: pair.target.url(db),
      type: 'full+incremental',
      tags: { team: 'payments' },
    })
    try {
      const v = await pair.target.query<{ version: number }>(
        'SELECT version FROM pgferry.store_version',
        [],
        db,
      )
      expect(v.rows[0]?.version).toBe(5)
      const stored = await pair.target.query<{ config: unknown; state: string; tags: unknown }>(
        'SELECT config, state, tags FROM pgferry.task WHERE id = $1',
        [task.id],
        db,
      )
      expect(stored.rows[0]?.state).toBe('created')
      expect(stored.rows[0]?.tags).toEqual({ team: 'payments' })
      expect(JSON.stringify(stored.rows[0]?.config)).not.toContain('source-pw-123')
    } finally {
      await task.close()
    }

    const out = await runTs('test/harness/reopen-child.ts', [task.id, pair.target.url(db)])
    expect(out).toContain('STATE ready OK true NAME cross-process')

    const record = await getTask(task.id, { target: pair.target.url(db) })
    expect(record?.state).toBe('ready')
    const events = await pair.target.query<{ name: string }>(
      `SELECT name FROM pgferry.event WHERE task_id = $1 ORDER BY id`,
      [task.id],
      db,
    )
    expect(events.rows.map((r) => r.name)).toEqual(['task:state', 'task:state', 'stage:done'])

    const listed = await listTasks({ target: pair.target.url(db) })
    expect(listed.map((t) => t.id)).toEqual([task.id])

    await expect(openTask(task.id, { target: pair.target.url(db) })).rejects.toMatchObject({
      code: 'PGFERRY_CONFIG_SECRET_MISSING',
    })
    await deleteTask(task.id, {
      target: pair.target.url(db),
      source: { password: 'source-pw-123' },
    })
    const left = await pair.target.query(
      'SELECT 1 FROM pgferry.task UNION ALL SELECT 1 FROM pgferry.progress UNION ALL SELECT 1 FROM pgferry.event',
      [],
      db,
    )
    expect(left.rowCount).toBe(0)
  })

  it('runs custom stages in their declared place with the context, and the task completes', async () => {
    const db = await freshTargetDb()
    const order: string[] = []
    const seen: { stage: string; hasSignal: boolean; targetDb: string }[] = []
    const mk = (name: string, after?: string): Stage => ({
      name,
      ...(after ? { after } : {}),
      async run(ctx: StageContext) {
        order.push(name)
        const c = await ctx.connect('target')
        const r = await c.query<{ d: string }>('SELECT current_database() AS d')
        seen.push({
          stage: ctx.stage,
          hasSignal: ctx.signal instanceof AbortSignal,
          targetDb: String(r.rows[0]?.d),
        })
        ctx.emit('warning', { taskId: ctx.taskId, code: 'CUSTOM', message: `from ${name}` })
        return name.toUpperCase()
      },
    })
    const task = await createTask({
      name: 'stages',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'structure',
      stages: [mk('audit', 'precheck'), mk('notify', 'audit'), mk('last')],
    })
    const events: (keyof PgferryEvents)[] = []
    const stageOrder: string[] = []
    const warnings: string[] = []
    for (const name of ['stage:done', 'task:state', 'precheck:item'] as const)
      task.on(name, () => events.push(name))
    task.on('stage:start', (e) => stageOrder.push(e.stage))
    task.on('warning', (e) => {
      if (e.code === 'CUSTOM') warnings.push(e.message)
    })
    try {
      const result = await task.run()
      expect(stageOrder).toEqual(['precheck', 'audit', 'notify', 'schema', 'last'])
      expect(order).toEqual(['audit', 'notify', 'last'])
      expect(result.results).toMatchObject({ audit: 'AUDIT', notify: 'NOTIFY', last: 'LAST' })
      expect(seen).toEqual([
        { stage: 'audit', hasSignal: true, targetDb: db },
        { stage: 'notify', hasSignal: true, targetDb: db },
        { stage: 'last', hasSignal: true, targetDb: db },
      ])
      expect(warnings).toEqual(['from audit', 'from notify', 'from last'])
      expect(events.filter((e) => e === 'precheck:item').length).toBeGreaterThanOrEqual(2)
      expect(task.state).toBe('completed')
      const rec = await pair.target.query<{ state: string }>(
        'SELECT state FROM pgferry.task WHERE id = $1',
        [task.id],
        db,
      )
      expect(rec.rows[0]?.state).toBe('completed')
    } finally {
      await task.close()
    }
  })

  it('a failing custom stage fails the task, named in the error and the store', async () => {
    const db = await freshTargetDb()
    const task = await createTask({
      name: 'boom',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'structure',
      stages: [
        {
          name: 'boom',
          after: 'precheck',
          run: async () => {
            throw new Error('custom stage exploded')
          },
        },
      ],
    })
    try {
      const err = await task.run().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(PgferryError)
      expect(err).toMatchObject({ code: 'PGFERRY_STAGE_FAILED', stage: 'boom' })
      expect((err as PgferryError).message).toContain('custom stage exploded')
      expect(task.state).toBe('failed')
      const rec = await pair.target.query<{ state: string; error: string }>(
        'SELECT state, error FROM pgferry.task WHERE id = $1',
        [task.id],
        db,
      )
      expect(rec.rows[0]?.state).toBe('failed')
      expect(rec.rows[0]?.error).toContain("stage 'boom' failed")
    } finally {
      await task.close()
    }
  })

  it('a custom stage sees the abort signal and the task pauses instead of failing', async () => {
    const db = await freshTargetDb()
    let sawAbort = false
    const waiter: Stage = {
      name: 'wait-for-abort',
      after: 'precheck',
      run: (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true
            reject(ctx.signal.reason)
          })
        }),
    }
    const task = await createTask({
      name: 'abort',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'full',
      stages: [waiter],
    })
    const ac = new AbortController()
    task.on('stage:start', (e) => {
      if (e.stage === 'wait-for-abort') setTimeout(() => ac.abort(), 50)
    })
    try {
      await expect(task.run({ signal: ac.signal })).rejects.toMatchObject({
        code: 'PGFERRY_ABORTED',
        stage: 'wait-for-abort',
      })
      expect(sawAbort).toBe(true)
    } finally {
      await task.close()
    }
  })

  it('rejects stage calls out of order and stages the type does not have', async () => {
    const db = await freshTargetDb()
    const task = await createTask({
      name: 'order',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'structure',
    })
    try {
      await expect(task.fullLoad()).rejects.toMatchObject({ code: 'PGFERRY_STAGE_INVALID' })
      await expect(task.migrateSchema()).rejects.toMatchObject({
        code: 'PGFERRY_TASK_PRECHECK_FAILED',
      })
      expect(task.state).toBe('created')
    } finally {
      await task.close()
    }
    await expect(task.precheck()).rejects.toMatchObject({ code: 'PGFERRY_TASK_CLOSED' })
  })

  it('reports an unreachable source and a missing target database as failed precheck items, without the password', async () => {
    const task = await createTask({
      name: 'bad',
      source: `postgres://postgres:very-secret-pw@127.0.0.1:1/postgres`,
      target: { ...pair.target.config('no_such_db'), password: 'other-secret-pw' },
      type: 'full',
      store: 'memory',
    })
    try {
      const report = await task.precheck()
      expect(report.ok).toBe(false)
      const byId = Object.fromEntries(report.items.map((i) => [i.id, i]))
      expect(byId['source.connect']?.status).toBe('fail')
      expect(byId['source.connect']?.message).toContain('unreachable')
      expect(byId['target.connect']?.message).toContain(`database 'no_such_db' does not exist`)
      expect(byId['target.connect']?.fix).toContain('CREATE DATABASE')
      expect(JSON.stringify(report)).not.toMatch(/very-secret-pw|other-secret-pw/)
      expect(task.state).toBe('precheck_failed')
      await expect(task.run()).rejects.toMatchObject({ code: 'PGFERRY_TASK_PRECHECK_FAILED' })
    } finally {
      await task.close()
    }
  })
})

describe('run mode', () => {
  it('waits for startAt after the precheck passes, and an abort while waiting pauses nothing', async () => {
    const db = await freshTargetDb()
    const startAt = new Date(Date.now() + 400)
    let ranAt = 0
    const task = await createTask({
      name: 'scheduled',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'structure',
      startAt,
      stages: [
        {
          name: 'mark',
          after: 'precheck',
          run: async () => {
            ranAt = Date.now()
          },
        },
      ],
    })
    try {
      await expect(task.run()).resolves.toMatchObject({ state: 'completed' })
      expect(ranAt).toBeGreaterThanOrEqual(startAt.getTime())
    } finally {
      await task.close()
    }

    // aborted during the wait (300 ms after the precheck), and before it begins (on 'stage:done',
    // ahead of the store writes that precede the wait: a listener added then would never fire)
    for (const abortAfterMs of [300, undefined]) {
      const later = await createTask({
        name: `scheduled far, aborted ${abortAfterMs === undefined ? 'at once' : 'later'}`,
        source: pair.source.config(),
        target: pair.target.config(db),
        type: 'structure',
        startAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      const ac = new AbortController()
      later.on('stage:done', (e) => {
        if (e.stage !== 'precheck') return
        if (abortAfterMs === undefined) ac.abort()
        else setTimeout(() => ac.abort(), abortAfterMs)
      })
      try {
        await expect(later.run({ signal: ac.signal })).rejects.toMatchObject({
          code: 'PGFERRY_ABORTED',
        })
        expect(later.state).toBe('ready')
      } finally {
        await later.close()
      }
    }
  })

  it('waits for startAt when the precheck was passed by an earlier call (as the CLI does before run)', async () => {
    const db = await freshTargetDb()
    let ran = false
    const task = await createTask({
      name: 'scheduled, prechecked first',
      source: pair.source.config(),
      target: pair.target.config(db),
      type: 'structure',
      startAt: new Date(Date.now() + 3_600_000),
      stages: [{ name: 'mark', after: 'precheck', run: async () => void (ran = true) }],
    })
    try {
      await expect(task.precheck()).resolves.toMatchObject({ ok: true })
      // the run must wait an hour: it is aborted while waiting, and nothing after the gate ran
      const ac = new AbortController()
      const timer = setTimeout(() => ac.abort(), 2_000)
      await expect(task.run({ signal: ac.signal })).rejects.toMatchObject({
        code: 'PGFERRY_ABORTED',
      })
      clearTimeout(timer)
      expect(ran).toBe(false)
      const tables = await pair.target.query(
        `SELECT 1 FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pgferry')`,
        [],
        db,
      )
      expect(tables.rowCount).toBe(0)
    } finally {
      await task.close()
    }
  })
})
