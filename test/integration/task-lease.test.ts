/**
 * One runner per task (issue 14): a task another process runs is refused to a second runner, with
 * the holder's pid and host, and left as it was; a killed holder's lease is taken over; a remote
 * holder's lease is taken over once stale, or at once with `takeover`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTask, PgferryError, type Stage } from '../../src/index.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  loadedTask,
  structuredTask,
  writeStep,
} from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

async function storedTask(id: string): Promise<{ state: string; error: string | null }> {
  const r = await pair.target.query<{ state: string; error: string | null }>(
    `SELECT state, error FROM pgferry.task WHERE id = $1`,
    [id],
  )
  return r.rows[0] as { state: string; error: string | null }
}

async function refusal(p: Promise<unknown>): Promise<PgferryError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PgferryError)
  return error as PgferryError
}

describe('task lease (16 → 16)', () => {
  it('a second process is refused run, startIncremental and complete while the first syncs; after a SIGKILL of the first it resumes', async () => {
    const db = await pair.source.createDatabase('lease2')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `lease-${db}`
    const first = await loadedTask(pair, db, { id })
    await first.close()
    const c = await pair.source.client(db)
    const child = spawnTs('test/harness/incremental-child.ts', [id, pair.target.url('postgres')])
    try {
      await waitForLine(child, /STREAMING/, 60_000)
      const before = await storedTask(id)
      expect(before.state).toBe('incremental_sync')
      const targetBefore = await digests(pair.target, db)
      const task = await openTask(id, { target: pair.target.url('postgres') })
      try {
        for (const call of [
          () => task.run(),
          () => task.startIncremental(),
          () => task.complete(),
        ]) {
          const e = await refusal(call())
          expect(e.code).toBe('PGFERRY_TASK_LEASED')
          expect(e.message).toContain(`pid ${child.pid}`)
          expect(e.message).toMatch(/on host \S+ since \d{4}-\d\d-\d\d/)
          // the library's fix names the library's option and call, the CLI's its flag and command
          expect(e.fix).toContain('takeover: true')
          expect(e.fix).toContain(`pauseTask('${id}'`)
          expect(e.cliFix).toContain('--takeover')
          expect(e.cliFix).toContain(`pgferry pause ${id}`)
        }
        expect(await storedTask(id)).toEqual(before)
        expect(await digests(pair.target, db)).toEqual(targetBefore)

        child.kill('SIGKILL')
        await new Promise<void>((r) => child.once('exit', () => r()))
        // the holder's pid is gone from this host: its lease is taken over at once
        await writeStep(c, 1)
        await task.startIncremental()
        await task.complete()
        expect(await storedTask(id)).toMatchObject({ state: 'completed' })
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
        const lease = await pair.target.query(`SELECT 1 FROM pgferry.lease WHERE task_id = $1`, [
          id,
        ])
        expect(lease.rowCount).toBe(0)
      } finally {
        await task.close()
      }
    } finally {
      child.kill('SIGKILL')
      await c.end()
    }
  }, 240_000)

  it("another host's live lease refuses; once stale it is taken over; takeover forces it", async () => {
    const db = await pair.source.createDatabase('leaseremote')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `lease-${db}`
    const first = await loadedTask(pair, db, { id })
    await first.close()
    const remote = (beatAgo: string): Promise<unknown> =>
      pair.target.query(
        `INSERT INTO pgferry.lease (task_id, token, host, pid, started_at, beat_at)
         VALUES ($1, 'remote', 'db-tools-1', 5643, now() - interval '1 hour', now() - $2::interval)
         ON CONFLICT (task_id) DO UPDATE SET token = 'remote', host = 'db-tools-1', pid = 5643,
           beat_at = EXCLUDED.beat_at`,
        [id, beatAgo],
      )
    const task = await openTask(id, {
      target: pair.target.url('postgres'),
      lease: { staleAfterMs: 60_000 },
    })
    try {
      await remote('1 second')
      const before = await storedTask(id)
      const e = await refusal(task.startIncremental())
      expect(e.message).toContain('pid 5643 on host db-tools-1 since')
      expect(await storedTask(id)).toEqual(before)

      await remote('2 minutes')
      const sync = await task.startIncremental()
      const held = await pair.target.query<{ pid: number }>(
        `SELECT pid FROM pgferry.lease WHERE task_id = $1`,
        [id],
      )
      expect(held.rows[0]?.pid).toBe(process.pid)
      await sync.stop()
      // stopped: the lease is released
      expect(
        (await pair.target.query(`SELECT 1 FROM pgferry.lease WHERE task_id = $1`, [id])).rowCount,
      ).toBe(0)

      await remote('1 second')
      await refusal(task.complete())
      expect((await storedTask(id)).state).not.toBe('failed')
      const result = await task.complete({ takeover: true })
      expect(result.slotsDropped).toBe(1)
      expect((await storedTask(id)).state).toBe('completed')
    } finally {
      await task.close()
    }
  }, 240_000)

  it('a Task whose lease another process takes over stops its work and leaves the state to the taker', async () => {
    const db = await pair.source.createDatabase('leaselost')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    let started = (): void => undefined
    const running = new Promise<void>((r) => (started = r))
    // runs until its signal fires
    const hold: Stage = {
      name: 'hold',
      after: 'schema',
      run: (ctx) =>
        new Promise((_, reject) => {
          started()
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), {
            once: true,
          })
        }),
    }
    const task = await structuredTask(pair, db, {
      config: { stages: [hold], lease: { beatIntervalMs: 100 } },
    })
    const warnings: string[] = []
    task.on('warning', (w) => warnings.push(w.code))
    try {
      const call = task.run().then(
        () => undefined,
        (e: unknown) => e,
      )
      await running
      const before = await storedTask(task.id)
      // another process takes the task over (what --takeover writes)
      await pair.target.query(
        `UPDATE pgferry.lease SET token = 'taker', host = 'db-tools-2', pid = 777, beat_at = now()
         WHERE task_id = $1`,
        [task.id],
      )
      expect(await call).toBeInstanceOf(PgferryError)
      expect(warnings).toContain('PGFERRY_TASK_LEASE_LOST')
      expect(await storedTask(task.id)).toEqual(before)
      const lease = await pair.target.query<{ token: string }>(
        `SELECT token FROM pgferry.lease WHERE task_id = $1`,
        [task.id],
      )
      expect(lease.rows[0]?.token).toBe('taker')
    } finally {
      await task.close()
    }
  }, 120_000)
})
