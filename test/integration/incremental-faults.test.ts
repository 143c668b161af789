/**
 * The apply survives a SIGKILL: a child process applies the stream under a steady write load and
 * is killed mid-apply; the task is reopened here, its sync started again from the progress the
 * target recorded, completed, and the target must equal the source row by row (nothing lost,
 * nothing applied twice — a doubled INSERT would fail on the key, a doubled UPDATE would show in
 * the digest of the `n = n + 1` column).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { startTcpProxy } from '../harness/tcp-proxy.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  writeStep,
  eventually,
  leftovers,
  loadedTask,
  startWriter,
} from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 17, { logical_decoding_work_mem: '64kB' })
})
afterAll(async () => {
  await pair?.stop()
})

describe('incremental sync after a SIGKILL (16 → 17)', () => {
  it('a killed apply process resumes from the recorded progress: nothing lost or doubled', async () => {
    const db = await pair.source.createDatabase('kill')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `kill-${db}`
    const first = await loadedTask(pair, db, { id })
    await first.close()

    const writerClient = await pair.source.client(db)
    const writer = startWriter(writerClient)
    const child = spawnTs('test/harness/incremental-child.ts', [id, pair.target.url('postgres')])
    try {
      await waitForLine(child, /STREAMING/, 60_000)
      // a few committed batches, then kill it while the writer keeps writing
      await waitForLine(child, /(BATCH .*\n[^]*){5}/, 60_000)
      await writerClient.query(
        `INSERT INTO items (name) SELECT 'during kill ' || g FROM generate_series(1, 3000) g`,
      )
      child.kill('SIGKILL')
      await new Promise<void>((r) => child.once('exit', () => r()))
      const at = writer.steps()
      await eventually(async () => writer.steps() >= at + 10)
    } finally {
      child.kill('SIGKILL')
      await writer.stop()
    }
    // the target holds some applied transactions, with their progress
    const origin = await pair.target.query<{ lsn: string | null }>(
      `SELECT remote_lsn::text AS lsn FROM pg_replication_origin_status`,
    )
    expect(origin.rows[0]?.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)

    const task = await openTask(id, { target: pair.target.url('postgres') })
    try {
      await task.startIncremental()
      await writerClient.query(`UPDATE items SET n = coalesce(n, 0) + 1 WHERE id % 10 = 0`)
      const result = await task.complete()
      expect(result.slotsDropped).toBe(1)
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect((await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rows).toEqual(
        [],
      )
      expect((await pair.target.query(`SELECT roname FROM pg_replication_origin`)).rows).toEqual([])
    } finally {
      await writerClient.end()
      await task.close()
    }
  }, 240_000)

  it('a process killed after recording its progress but before COMMIT loses nothing (the abort must not carry the origin forward)', async () => {
    // From v15 an aborted transaction's abort record carries the session's origin position, so
    // a target backend that aborts a batch after pg_replication_origin_xact_setup (its client was
    // killed before COMMIT) moves the origin past rows it rolled back. The proxy creates that
    // moment: it forwards the chunk that sets the origin position up and holds all that follows.
    const db = await pair.source.createDatabase('killprog')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const id = `killprog-${db}`
    const first = await loadedTask(pair, db, { id })
    await first.close()

    const proxy = await startTcpProxy(pair.target.host, pair.target.port)
    const writerClient = await pair.source.client(db)
    const child = spawnTs('test/harness/incremental-child.ts', [
      id,
      `postgres://postgres@${proxy.host}:${proxy.port}/postgres`,
    ])
    try {
      const trapped = proxy.holdClientAfter('pg_replication_origin_xact_setup')
      await waitForLine(child, /STREAMING/, 60_000)
      for (let i = 1; i <= 5; i++) await writeStep(writerClient, i)
      await trapped
      child.kill('SIGKILL')
      await new Promise<void>((r) => child.once('exit', () => r()))
    } finally {
      child.kill('SIGKILL')
      await proxy.close()
    }
    // the held batch's backend has gone (it saw its client leave)
    await eventually(
      async () =>
        (
          await pair.target.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = 'postgres' AND state = 'idle in transaction'`,
          )
        ).rowCount === 0,
      60_000,
    )
    for (let i = 6; i <= 8; i++) await writeStep(writerClient, i)

    const task = await openTask(id, { target: pair.target.url('postgres') })
    try {
      await task.startIncremental()
      await task.complete()
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await writerClient.end()
      await task.close()
    }
  }, 240_000)
})
