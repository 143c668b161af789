/**
 * Aborting verify() cancels what it runs on both servers (issue 13): its statements wait on locks
 * the test holds (one table locked on the source, one on the target), so they are in place for as
 * long as the test needs; the abort must reject verify while those locks are still held, and no
 * statement of pgferry's may be left running on either server.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verify, type PgferryError } from '../../src/index.js'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import { holdLock } from '../harness/held-backend.js'
import { INCREMENTAL_SCHEMA, eventually, loadedTask } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** pgferry's backends in `db` (its default application_name) by state and wait event type. */
async function ours(cluster: Cluster, db: string): Promise<{ state: string; wait: string }[]> {
  const r = await cluster.query<{ state: string; wait: string }>(
    `SELECT state, coalesce(wait_event_type, '') AS wait FROM pg_stat_activity
      WHERE datname = $1 AND application_name = 'pgferry' AND backend_type = 'client backend'`,
    [db],
  )
  return r.rows
}

describe('verify abort (16 → 16)', () => {
  it('an abort cancels the statements waiting on both servers and rejects at once; nothing of ours keeps running', async () => {
    const db = await pair.source.createDatabase('verifyabort')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    let sourceHold: pg.Client | undefined
    let targetHold: pg.Client | undefined
    try {
      sourceHold = await pair.source.client(db)
      targetHold = await pair.target.client(db)
      const onSource = await holdLock(sourceHold, 'toasty', 'ACCESS EXCLUSIVE')
      const onTarget = await holdLock(targetHold, 'items', 'ACCESS EXCLUSIVE')
      const controller = new AbortController()
      const running = verify(task, {
        signal: controller.signal,
        tables: ['public.toasty', 'public.items'],
      })
      running.catch(() => undefined)
      // a statement of verify waits on each lock
      const waiting = async (c: Cluster): Promise<boolean> =>
        (await ours(c, db)).some((b) => b.state === 'active' && b.wait === 'Lock')
      await eventually(
        async () => (await waiting(pair.source)) && (await waiting(pair.target)),
        60_000,
      )

      controller.abort()
      const error = (await running.catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_ABORTED')
      // rejected while both locks are still held: verify did not wait for its statements to end
      await eventually(async () => {
        const left = [...(await ours(pair.source, db)), ...(await ours(pair.target, db))]
        return left.every((b) => b.state !== 'active')
      }, 60_000)
      await onSource.release()
      await onTarget.release()
      // and it still works afterwards
      expect((await verify(task, { tables: ['public.toasty', 'public.items'] })).equal).toBe(true)
    } finally {
      await sourceHold?.end()
      await targetHold?.end()
      await task.delete()
    }
  }, 180_000)
})
