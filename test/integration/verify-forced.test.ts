/**
 * verify() during sync, with the case that fools a re-check forced, not raced for (issue 13): a
 * row changed on the source and changed back (an ABA) between verify's reads, the target holding
 * the middle state when verify reads it.
 *
 * How: every time verify waits for the sync (IncrementalRun.waitFor, spied on), the test first
 * releases what it holds, lets the wait run, then changes a row on the source, waits until the
 * target shows the change, takes a row lock on that row on the target and changes it back on the
 * source: the sync's apply of the change back then waits on the lock, and verify's next reads find
 * the source as before and the target in the middle state, for as long as verify goes on. A rule
 * that trusts "the source read the same before and after the target" reports that row (the
 * bracket rule of keyed rows and the two-count rule of keyless rows did); only the stream's record
 * of the changes (apply/row-watch.ts, verify/confirm-rounds.ts) tells it from a real difference.
 * A row changed on the target behind the sync's back, in the same table and run, must still be
 * reported, exactly.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Task, type VerifyReport } from '../../src/index.js'
import { IncrementalRun } from '../../src/apply/incremental-run.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { INCREMENTAL_SCHEMA, eventually, loadedTask } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** One ABA of a row: the change, the wait until the target shows it, the lock, the change back. */
interface Aba {
  /** Change on the source, wait until the target has it. */
  change(source: pg.Client): Promise<void>
  /** On the target, in the open transaction of `lock`: lock the changed row. */
  lock(lock: pg.Client): Promise<void>
  /** Change back on the source. */
  undo(source: pg.Client): Promise<void>
}

/**
 * Run `aba` once now, and again at each of verify's waits for the sync (after the wait, the held
 * lock released before it) until `stop()`, which releases the last lock.
 */
async function abaAtEachSettle(
  db: string,
  aba: Aba,
): Promise<{ count: () => number; stop: () => Promise<void> }> {
  const source = await pair.source.client(db)
  const lock = await pair.target.client(db)
  let held = false
  let n = 0
  const release = async (): Promise<void> => {
    if (held) await lock.query('COMMIT')
    held = false
  }
  const once = async (): Promise<void> => {
    await aba.change(source)
    await lock.query('BEGIN')
    held = true
    await aba.lock(lock)
    await aba.undo(source)
    n++
  }
  await once()
  const original = IncrementalRun.prototype.waitFor
  const spy = vi.spyOn(IncrementalRun.prototype, 'waitFor').mockImplementation(async function (
    this: IncrementalRun,
    ...args
  ) {
    await release()
    await original.apply(this, args)
    await once()
  })
  return {
    count: () => n,
    stop: async () => {
      spy.mockRestore()
      await release()
      await source.end()
      await lock.end()
    },
  }
}

/** The differences of a report, each as `table kind key`, sorted. */
function named(report: VerifyReport): string[] {
  return report.tables
    .flatMap((t) => t.differences)
    .map((d) => `${d.table} ${d.kind} ${JSON.stringify(d.key)}`)
    .sort()
}

async function syncingTask(db: string): Promise<Task> {
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  const task = await loadedTask(pair, db)
  await task.startIncremental()
  return task
}

describe('verify during sync, a change made and undone between its reads (16 → 16)', () => {
  it('a keyed row: no false alarm while the target holds the middle state; a row changed on the target is found, exactly', async () => {
    const db = await pair.source.createDatabase('verifyabakeyed')
    const task = await syncingTask(db)
    const targetV = async (): Promise<string | undefined> =>
      (await pair.target.query<{ v: string }>(`SELECT v FROM keyed WHERE k1 = 7`, [], db)).rows[0]
        ?.v
    let aba: Awaited<ReturnType<typeof abaAtEachSettle>> | undefined
    try {
      await pair.target.query(`UPDATE keyed SET v = 'behind its back' WHERE k1 = 42`, [], db)
      aba = await abaAtEachSettle(db, {
        change: async (s) => {
          await s.query(`UPDATE keyed SET v = 'middle' WHERE k1 = 7`)
          await eventually(async () => (await targetV()) === 'middle', 120_000)
        },
        lock: async (l) => void (await l.query(`SELECT 1 FROM keyed WHERE k1 = 7 FOR UPDATE`)),
        undo: async (s) => void (await s.query(`UPDATE keyed SET v = 'v7' WHERE k1 = 7`)),
      })
      // the condition holds: the source is back, the target shows the middle state
      expect(await targetV()).toBe('middle')
      const report = await task.verify({ tables: ['public.keyed'] })
      expect(aba.count()).toBeGreaterThan(2)
      expect(named(report)).toEqual(['public.keyed changed {"k1":"42","k2":"k42"}'])
      const diff = report.tables[0]?.differences[0]
      expect([diff?.source?.v, diff?.target?.v]).toEqual(['v42', 'behind its back'])
      await aba.stop()
      aba = undefined
      // and the sync did catch up: only the row changed behind its back differs, by SQL
      await eventually(async () => (await targetV()) === 'v7', 120_000)
    } finally {
      await aba?.stop()
      await task.delete()
    }
  }, 300_000)

  it('a keyless row: no false alarm while the target holds a row the source inserted and deleted again; a row added on the target is found, exactly', async () => {
    const db = await pair.source.createDatabase('verifyabakeyless')
    const task = await syncingTask(db)
    const onTarget = async (): Promise<number> =>
      (await pair.target.query(`SELECT 1 FROM fullrows WHERE a = 777`, [], db)).rowCount ?? 0
    let aba: Awaited<ReturnType<typeof abaAtEachSettle>> | undefined
    try {
      await pair.target.query(`INSERT INTO fullrows VALUES (888, 'behind its back', NULL)`, [], db)
      aba = await abaAtEachSettle(db, {
        change: async (s) => {
          await s.query(`INSERT INTO fullrows VALUES (777, 'in flight', NULL)`)
          await eventually(async () => (await onTarget()) === 1, 120_000)
        },
        lock: async (l) => void (await l.query(`SELECT 1 FROM fullrows WHERE a = 777 FOR UPDATE`)),
        undo: async (s) => void (await s.query(`DELETE FROM fullrows WHERE a = 777`)),
      })
      expect(await onTarget()).toBe(1)
      const report = await task.verify({ tables: ['public.fullrows'] })
      expect(aba.count()).toBeGreaterThan(2)
      expect(named(report)).toEqual([
        'public.fullrows extra {"a":"888","b":"behind its back","j":null}',
      ])
      await aba.stop()
      aba = undefined
      await eventually(async () => (await onTarget()) === 0, 120_000)
    } finally {
      await aba?.stop()
      await task.delete()
    }
  }, 300_000)
})
