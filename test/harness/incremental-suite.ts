/**
 * The end-to-end incremental scenario shared by the version-pair test files: a writer runs during
 * the full load and during the sync, then every special case (big streamed transaction, multi-table
 * TRUNCATE, unchanged TOAST, REPLICA IDENTITY FULL duplicates, key change), then complete; the
 * target must equal the source row by row, sequences included, with nothing left behind.
 */
import { expect } from 'vitest'
import type { ClusterPair } from './cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  loadedTask,
  startWriter,
} from './incremental-fixture.js'
import type { PgferryEvents } from '../../src/model/events.js'

export async function endToEnd(pair: ClusterPair): Promise<void> {
  const db = await pair.source.createDatabase('inc')
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  const writerClient = await pair.source.client(db)
  const writer = startWriter(writerClient)
  let task
  try {
    // the writer runs through the full load: the stream must start exactly where the copy ends
    task = await loadedTask(pair, db)
  } catch (error) {
    await writer.stop()
    await writerClient.end()
    throw error
  }
  const lags: PgferryEvents['wal:lag'][] = []
  const batches: PgferryEvents['apply:batch'][] = []
  task.on('wal:lag', (e) => lags.push(e))
  task.on('apply:batch', (e) => batches.push(e))
  try {
    const sync = await task.startIncremental()
    expect(task.state).toBe('incremental_sync')
    const atStart = writer.steps()
    await eventually(async () => writer.steps() >= atStart + 20)
    await writer.stop()
    // a transaction bigger than logical_decoding_work_mem (64kB): streamed on v14+, spilled before
    await writerClient.query(
      `INSERT INTO items (name, js) SELECT 'bulk ' || g, jsonb_build_object('pad', repeat('x', 200)) FROM generate_series(1, 5000) g`,
    )
    await writerClient.query(`UPDATE items SET flag = NOT coalesce(flag, false) WHERE id % 3 = 0`)
    // multi-table TRUNCATE, then rows again
    await writerClient.query(`TRUNCATE parent, child`)
    await writerClient.query(`INSERT INTO parent VALUES (1, 'again'), (2, 'again')`)
    await writerClient.query(`INSERT INTO child VALUES (1, 1, 'again')`)
    // duplicates in a table without a key: one DELETE removes one of them
    await writerClient.query(
      `INSERT INTO fullrows VALUES (999, 'dup', '{"d":1}'), (999, 'dup', '{"d":1}')`,
    )
    await writerClient.query(
      `DELETE FROM fullrows WHERE ctid = (SELECT ctid FROM fullrows WHERE a = 999 LIMIT 1)`,
    )
    await writerClient.query(`UPDATE fullrows SET j = '{"d":2}' WHERE a = 999`)
    await writerClient.query(`UPDATE toasty SET small = -small`)
    // the same rows updated twice in one transaction: a set-based run must not merge them
    await writerClient.query(
      `BEGIN; UPDATE toasty SET small = small * 2; UPDATE toasty SET small = small + 1; COMMIT`,
    )
    await writerClient.query(`SELECT setval('items_id_seq', 100000)`)

    const live = await sync.lag()
    expect(live).toHaveLength(1)
    expect(live[0]?.database).toBe(db)
    // the caller stopped writes: complete drains to the fence, aligns, verifies, cleans up
    const result = await task.complete()
    expect(task.state).toBe('completed')
    await sync.done
    expect(result.slotsDropped).toBe(1)
    expect(result.publicationsDropped).toBe(1)
    // parts is counted by its two partitions
    expect(result.tablesVerified).toBe(9)
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
    const seq = `SELECT last_value::text, is_called FROM items_id_seq`
    expect((await pair.target.query(seq, [], db)).rows).toEqual(
      (await pair.source.query(seq, [], db)).rows,
    )
    expect((await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rows).toEqual([])
    expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], db)).rows).toEqual([])
    expect((await pair.target.query(`SELECT roname FROM pg_replication_origin`)).rows).toEqual([])
    expect(batches.length).toBeGreaterThan(0)
    await eventually(async () => lags.length > 0 || batches.length > 0)
  } finally {
    await writer.stop()
    await writerClient.end().catch(() => undefined)
    await task.close()
  }
}
