/**
 * What pgferry creates on the source (16 → 16): the publication and the slot are recorded before
 * they exist, so a failed slot creation (blocked and timed out, aborted while blocked, refused for
 * want of REPLICATION) leaves no publication behind and the application's own UPDATE of a table
 * without a key keeps working; a SIGKILL between the slot's creation and its store write resumes;
 * delete() leaves nothing. A table without a key is refused, or (`replicaIdentity:
 * 'full-for-keyless'`) given REPLICA IDENTITY FULL for the task's life and restored on every path.
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
  tableDigest,
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

/** The source's replica identity of each table, `relreplident` by name. */
async function identities(db: string, ...tables: string[]): Promise<Record<string, string>> {
  const r = await pair.source.query<{ t: string; i: string }>(
    `SELECT relname AS t, relreplident::text AS i FROM pg_class WHERE relname = ANY ($1) ORDER BY 1`,
    [tables],
    db,
  )
  return Object.fromEntries(r.rows.map((x) => [x.t, x.i]))
}

/** Run the slot-crash child: it dies by SIGKILL after the slot exists, before its store write. */
async function killAfterSlotCreation(id: string): Promise<void> {
  const child = spawnTs('test/harness/slot-crash-child.ts', [id, pair.target.url('postgres')])
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  await waitForLine(child, /SLOT_CREATED/, 60_000).catch((e: unknown) => {
    throw new Error(`${String(e)}\nstderr: ${err}`)
  })
  child.kill('SIGKILL')
  await exited
}

async function publicationOf(db: string): Promise<string> {
  const r = await pair.source.query<{ p: string }>(
    `SELECT pubname AS p FROM pg_publication`,
    [],
    db,
  )
  return `"${r.rows[0]?.p ?? ''}"`
}

const FULL_FOR_KEYLESS = { config: { replicaIdentity: 'full-for-keyless' as const } }

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
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
    const release = await openWriteTransaction('postgres')
    try {
      const error = (await task
        .fullLoad({ slotTimeoutMs: 500 })
        .catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_FULLLOAD_SLOT_BLOCKED')
      expect(await leftovers(pair, db)).toEqual([])
      // the identity pgferry set for the slot's sake is restored with it
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
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
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
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
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
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
    const db = await sourceDatabase('slotcrash', KEYLESS)
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
    const id = task.id
    await task.close()
    await killAfterSlotCreation(id)
    // what the crash left: the slot, the publication and the identity pgferry set
    expect((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount).toBe(1)
    expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'f' })

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
        [
          'audit_log',
          'child',
          'fullrows',
          'ident',
          'items',
          'keyed',
          'parent',
          // changes of a partitioned table arrive under its leaves (no publish_via_partition_root)
          'parts_eu',
          'parts_us',
          'toasty',
        ].sort(),
      )
      const sync = await resumed.startIncremental()
      for (let i = 1; i <= 10; i++) await writeStep(c, i)
      // the application's own UPDATE and DELETE of the keyless table work, and are carried
      await applicationWrites(db)
      await eventually(async () => (await sync.lag())[0]?.lagBytes === 0n)
      await resumed.complete()
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await tableDigest(pair.target, db, 'audit_log')).toEqual(
        await tableDigest(pair.source, db, 'audit_log'),
      )
      expect(await leftovers(pair, db)).toEqual([])
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
    } finally {
      await c.end()
      await resumed.close()
    }
  }, 180_000)

  it('a resumed load makes the publication cover the selection again (dropped by hand meanwhile)', async () => {
    const db = await sourceDatabase('recover')
    const task = await structuredTask(pair, db)
    try {
      const ac = new AbortController()
      task.on('chunk:progress', () => ac.abort())
      const error = (await task
        .fullLoad({ signal: ac.signal })
        .catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_ABORTED')
      // the slot stays for the resume; the publication is lost behind pgferry's back
      expect((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount).toBe(1)
      await pair.source.query(`DROP PUBLICATION ${await publicationOf(db)}`, [], db)
      await task.fullLoad()
      const published = await pair.source.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_publication_tables ORDER BY 1`,
        [],
        db,
      )
      expect(published.rows.map((r) => r.t)).toEqual(
        [
          'child',
          'fullrows',
          'ident',
          'items',
          'keyed',
          'parent',
          'parts_eu',
          'parts_us',
          'toasty',
        ].sort(),
      )
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a keyless table with the precheck item skipped is refused, not published; the source is untouched', async () => {
    const db = await sourceDatabase('refused', KEYLESS)
    const task = await structuredTask(pair, db)
    try {
      // structuredTask skipped the failed source.replica-identity item
      expect((await task.store.loadTask(task.id))?.skippedChecks).toContain(
        'source.replica-identity',
      )
      const error = (await task.fullLoad().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_SOURCE_NO_REPLICA_IDENTITY')
      expect(error.message).toContain('public.audit_log')
      expect(error.message).toContain(
        'while the task exists, UPDATE and DELETE on this table fail on the source',
      )
      expect(error.fix).toContain('ALTER TABLE "public"."audit_log" REPLICA IDENTITY FULL;')
      expect(await leftovers(pair, db)).toEqual([])
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
      await applicationWrites(db)
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('full-for-keyless behind an application lock: a bounded wait, a clear error, nothing left', async () => {
    const db = await sourceDatabase('locked', KEYLESS)
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
    // an application transaction reading the table: ALTER TABLE's lock must not queue behind it
    const app = await pair.source.client(db)
    await app.query(`BEGIN; SELECT count(*) FROM audit_log`)
    try {
      const error = (await task.fullLoad().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_SOURCE_NO_REPLICA_IDENTITY')
      expect(error.message).toContain('public.audit_log')
      expect(error.message).toMatch(/lock timeout/)
      expect(await leftovers(pair, db)).toEqual([])
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
      await app.query('COMMIT')
      await applicationWrites(db)
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await app.end()
      await task.close()
    }
  }, 120_000)

  it('full-for-keyless: delete() behind an application lock fails clearly, keeps the record, and a second delete() restores', async () => {
    const db = await sourceDatabase('unlock', KEYLESS)
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
    const app = await pair.source.client(db)
    try {
      await task.fullLoad()
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'f' })
      await app.query(`BEGIN; SELECT count(*) FROM audit_log`)
      const error = (await task.delete().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_SOURCE_NO_REPLICA_IDENTITY')
      expect(error.message).toMatch(/lock timeout/)
      // the slot and the publication are gone; the identity waits for the next attempt
      expect(await leftovers(pair, db)).toEqual([])
      await app.query('COMMIT')
      await applicationWrites(db)
      await task.delete()
      expect(await identities(db, 'audit_log')).toEqual({ audit_log: 'd' })
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await app.end()
      await task.close()
    }
  }, 120_000)

  it('full-for-keyless after a crash: delete() restores each original identity (DEFAULT and NOTHING)', async () => {
    const db = await sourceDatabase(
      'restore',
      `${KEYLESS} CREATE TABLE nothing (v text); ALTER TABLE nothing REPLICA IDENTITY NOTHING;`,
    )
    const task = await structuredTask(pair, db, FULL_FOR_KEYLESS)
    const id = task.id
    await task.close()
    await killAfterSlotCreation(id)
    expect(await identities(db, 'audit_log', 'nothing')).toEqual({ audit_log: 'f', nothing: 'f' })
    await applicationWrites(db)
    const reopened = await openTask(id, { target: pair.target.url('postgres') })
    try {
      await reopened.delete()
    } finally {
      await reopened.close()
    }
    expect(await leftovers(pair, db)).toEqual([])
    expect(await identities(db, 'audit_log', 'nothing')).toEqual({ audit_log: 'd', nothing: 'n' })
  }, 120_000)

  it("delete() after a load with a DBA's publication leaves that publication (and drops the slot)", async () => {
    const db = await sourceDatabase('dbapub')
    await pair.source.query(`CREATE PUBLICATION dba_pub FOR ALL TABLES`, [], db)
    const task = await structuredTask(pair, db, { config: { publication: 'dba_pub' } })
    try {
      await task.fullLoad()
      await task.delete()
      const pubs = await pair.source.query(`SELECT pubname FROM pg_publication`, [], db)
      expect(pubs.rows).toEqual([{ pubname: 'dba_pub' }])
      const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
      expect(slots.rows).toEqual([])
    } finally {
      await task.close()
    }
  }, 180_000)
})
