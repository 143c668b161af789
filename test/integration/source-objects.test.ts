/**
 * What pgferry creates on the source (16 → 16): the publication and the slot are recorded before
 * they exist, so a failed slot creation (blocked and timed out, aborted while blocked, refused for
 * want of REPLICATION) leaves no publication behind and the application's own UPDATE of a table
 * without a key keeps working; a SIGKILL between the slot's creation and its store write resumes;
 * delete() leaves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { openTask, type PgferryError } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  leftovers,
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

/** The incremental fixture plus a table the application updates that has no key. */
const KEYLESS = `CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT now(), msg text);
INSERT INTO audit_log (msg) SELECT 'm' || g FROM generate_series(1, 10) g;`

async function sourceDatabase(prefix: string, extra = ''): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA + extra, [], db)
  return db
}

/** The application's own UPDATE and DELETE of the keyless table, on the source. */
async function applicationWrites(db: string): Promise<void> {
  await pair.source.query(`UPDATE audit_log SET msg = msg || '.'`, [], db)
  await pair.source.query(`DELETE FROM audit_log WHERE msg = 'none'`, [], db)
}

/** A transaction with an xid, open until released: logical slot creation waits for it. */
async function openWriteTransaction(db: string): Promise<() => Promise<void>> {
  const c = await pair.source.client(db)
  await c.query(`BEGIN; SELECT txid_current()`)
  return async () => {
    await c.query('ROLLBACK').catch(() => undefined)
    await c.end()
  }
}

describe('objects pgferry creates on the source (16 → 16)', () => {
  it('a slot creation blocked by an open transaction leaves no publication; delete() leaves nothing', async () => {
    const db = await sourceDatabase('blocked', KEYLESS)
    const task = await structuredTask(pair, db)
    const release = await openWriteTransaction('postgres')
    try {
      const error = (await task
        .fullLoad({ slotTimeoutMs: 500 })
        .catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_FULLLOAD_SLOT_BLOCKED')
      expect(await leftovers(pair, db)).toEqual([])
      await applicationWrites(db)
      await release()
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
      await applicationWrites(db)
    } finally {
      await release()
      await task.close()
    }
  }, 120_000)

  it('an abort while the slot creation waits leaves no publication and no slot', async () => {
    const db = await sourceDatabase('aborted', KEYLESS)
    const task = await structuredTask(pair, db)
    const release = await openWriteTransaction('postgres')
    try {
      const ac = new AbortController()
      const load = task.fullLoad({ signal: ac.signal }).catch((e: unknown) => e)
      // the slot exists (ephemeral) while its creation waits for the open transaction
      await eventually(
        async () =>
          ((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount ?? 0) > 0,
      )
      ac.abort()
      expect(((await load) as PgferryError).code).toBe('PGFERRY_ABORTED')
      await eventually(async () => (await leftovers(pair, db)).length === 0)
      await applicationWrites(db)
      await release()
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await release()
      await task.close()
    }
  }, 120_000)

  it('a source role without REPLICATION: the failed slot creation leaves no publication', async () => {
    const db = await sourceDatabase('norepl')
    const role = `app_${randomUUID().slice(0, 8)}`
    // the tables' owner may create the publication, but not the slot
    await pair.source.query(`CREATE ROLE ${role} LOGIN NOREPLICATION`)
    await pair.source.query(
      `GRANT CREATE ON DATABASE ${db} TO ${role};
       DO $$ DECLARE t record; BEGIN
         FOR t IN SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
         LOOP EXECUTE format('ALTER TABLE public.%I OWNER TO ${role}', t.relname); END LOOP; END $$`,
      [],
      db,
    )
    const task = await structuredTask(pair, db)
    await task.close()
    const reopened = await openTask(task.id, {
      target: pair.target.url('postgres'),
      source: { user: role },
    })
    try {
      const error = (await reopened.fullLoad().catch((e: unknown) => e)) as PgferryError
      expect(`${error.message} ${error.fix ?? ''}`).toMatch(/WAL sender|replication/i)
      expect(await leftovers(pair, db)).toEqual([])
      await reopened.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await reopened.close()
    }
  }, 120_000)

  it('SIGKILL between the slot creation and its store write: the load resumes and streams', async () => {
    const db = await sourceDatabase('slotcrash')
    const task = await structuredTask(pair, db)
    const id = task.id
    await task.close()
    const child = spawnTs('test/harness/slot-crash-child.ts', [id, pair.target.url('postgres')])
    let err = ''
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    await waitForLine(child, /SLOT_CREATED/, 60_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\nstderr: ${err}`)
    })
    child.kill('SIGKILL')
    await exited
    // what the crash left: the slot and the publication, and no record of the slot in the load
    expect((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount).toBe(1)

    const resumed = await openTask(id, { target: pair.target.url('postgres') })
    const c = await pair.source.client(db)
    try {
      await resumed.fullLoad()
      // the publication covers the selection again
      const published = await pair.source.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_publication_tables ORDER BY 1`,
        [],
        db,
      )
      expect(published.rows.map((r) => r.t)).toEqual(
        ['child', 'fullrows', 'ident', 'items', 'keyed', 'parent', 'parts', 'toasty'].sort(),
      )
      const sync = await resumed.startIncremental()
      for (let i = 1; i <= 10; i++) await writeStep(c, i)
      await eventually(async () => (await sync.lag())[0]?.lagBytes === 0n)
      await resumed.complete()
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await c.end()
      await resumed.close()
    }
  }, 180_000)
})
