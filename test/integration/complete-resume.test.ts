/**
 * The cutover after things went wrong inside it or during the sync before it (16 → 16): a process
 * SIGKILLed inside `complete` is resumed by the obvious command, `run()`, which finishes the
 * cutover; so is the CLI's `resume`. A migrated table dropped on the source during the sync stops
 * the cutover with an error that names it and says what to do, before anything is dropped (issue 10).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTask, type PgferryError } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { runTs, spawnTs, waitForLine } from '../harness/child.js'
import { holdLock, waitForLockedBackend } from '../harness/held-backend.js'
import {
  INCREMENTAL_SCHEMA,
  INCREMENTAL_TABLES,
  digests,
  leftovers,
  tableDigest,
  loadedTask,
  writeStep,
} from '../harness/incremental-fixture.js'
import type { TortureChildArgs } from '../harness/torture-child.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const taskState = async (id: string): Promise<unknown[]> =>
  (await pair.target.query(`SELECT state FROM pgferry.task WHERE id = $1`, [id])).rows

describe('complete after a crash (16 → 16)', () => {
  it.each(['run()', 'pgferry resume'])(
    'SIGKILL inside complete (blocked on a target lock), then %s: the cutover finishes, equal and clean',
    async (how) => {
      const db = await pair.source.createDatabase('cmpkill')
      await pair.source.query(INCREMENTAL_SCHEMA, [], db)
      const id = `cmpkill-${db}`
      const first = await loadedTask(pair, db, { id })
      await first.close()
      const c = await pair.source.client(db)
      // writeStep never touches `parent`: the drain's apply passes the lock, the row count does not
      const lockHolder = await pair.target.client(db)
      const watcher = await pair.target.client(db)
      const args: TortureChildArgs = {
        mode: 'resume',
        id,
        sourceUrl: pair.source.url(db),
        targetUrl: pair.target.url('postgres'),
        sdb: db,
        tdb: db,
        splitTablesLargerThan: 0,
        bytesPerSecond: 0,
      }
      const child = spawnTs('test/harness/torture-child.ts', [JSON.stringify(args)])
      try {
        await waitForLine(child, /SYNCING/, 60_000)
        for (let i = 1; i <= 10; i++) await writeStep(c, i)
        const lock = await holdLock(lockHolder, 'parent', 'ACCESS EXCLUSIVE')
        child.kill('SIGUSR2')
        // the cutover has drained and now counts rows: it waits on the lock, inside complete
        await waitForLockedBackend(watcher, db, '%count(*)%parent%')
        expect(await taskState(id)).toEqual([{ state: 'completing' }])
        child.kill('SIGKILL')
        await new Promise<void>((r) => child.once('exit', () => r()))
        await lock.release()
      } finally {
        child.kill('SIGKILL')
        await lockHolder.end()
        await watcher.end()
      }
      // written after the crash: the resumed cutover drains again
      for (let i = 11; i <= 15; i++) await writeStep(c, i)
      await c.end()

      if (how === 'run()') {
        const task = await openTask(id, { target: pair.target.url('postgres') })
        try {
          expect(task.state).toBe('completing')
          const run = await task.run()
          expect(run.state).toBe('completed')
        } finally {
          await task.close()
        }
      } else {
        const out = await runTs('src/cli/main.ts', [
          'resume',
          id,
          '--source',
          pair.source.url(db),
          '--target',
          pair.target.url('postgres'),
        ])
        expect(out).toContain(`task ${id} completed`)
      }
      expect(await taskState(id)).toEqual([{ state: 'completed' }])
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      const seq = `SELECT last_value::text AS v FROM items_id_seq`
      expect((await pair.target.query(seq, [], db)).rows).toEqual(
        (await pair.source.query(seq, [], db)).rows,
      )
      expect(await leftovers(pair, db)).toEqual([])
    },
    240_000,
  )

  it('a migrated table dropped on the source during sync: complete names it and keeps the slot; dropped on the target too, complete finishes', async () => {
    const db = await pair.source.createDatabase('cmpdrop')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      for (let i = 1; i <= 5; i++) await writeStep(c, i)
      await c.query(`DROP TABLE keyed`)
      for (let i = 6; i <= 10; i++) await writeStep(c, i).catch(() => undefined)
      const error = (await task.complete().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_COMPLETE_RELATION_DROPPED')
      expect(error.message).toContain(`${db}: table public.keyed`)
      expect(error.fix).toContain('DROP TABLE IF EXISTS "public"."keyed";')
      expect(error.retryable).toBe(false)
      // nothing dropped yet: the task can still sync or complete
      expect(await leftovers(pair, db)).not.toEqual([])
      expect(await task.refresh()).toBe('failed')
      // the user agrees with the drop: the same on the target, then complete again
      await pair.target.query(`DROP TABLE IF EXISTS "public"."keyed";`, [], db)
      const warned: string[] = []
      task.on('warning', (w) => warned.push(`${w.code} ${w.object ?? ''}`))
      const result = await task.complete()
      expect(warned).toContain(`PGFERRY_COMPLETE_RELATION_DROPPED ${db}.public.keyed`)
      expect(result.tablesVerified).toBeGreaterThan(0)
      expect(task.state).toBe('completed')
    } finally {
      await c.end()
      await task.close()
    }
    for (const t of INCREMENTAL_TABLES.filter((x) => x !== 'keyed'))
      expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
    expect(await leftovers(pair, db)).toEqual([])
  }, 240_000)
})
