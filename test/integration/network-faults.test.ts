/**
 * Faults of the network and of the servers around a running migration (issue 10, "other
 * faults"), each ending in a migration equal row by row or a clear error (16 → 16):
 * - the target restarted with `-m immediate` mid-apply, under a writer;
 * - the walsender terminated on the source mid-sync;
 * - the TCP connection cut through a local proxy, on the COPY path (mid-chunk) and on the
 *   replication path (mid-stream, at an arbitrary byte);
 * - the replication connection silently dead (black-holed: no FIN, no RST);
 * - a conflicting row put on the target behind the task (a key the source inserts next, a row
 *   the source updates deleted): the sync stops there, never applying past it, and once the
 *   user mends the target a resume ends equal.
 * Every condition is created (a held COPY, a held proxy direction), never raced for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import {
  PgferryError,
  type IncrementalOptions,
  type PgferryEvents,
  type Task,
} from '../../src/index.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import { quoteIdent } from '../../src/pg/quote.js'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  eventually,
  leftovers,
  loadedTask,
  startWriter,
  structuredTask,
  tableDigest,
  writeStep,
} from '../harness/incremental-fixture.js'
import { holdInserts, waitForLockedBackend } from '../harness/held-backend.js'
import { startTcpProxy, type ProxiedConnection, type TcpProxy } from '../harness/tcp-proxy.js'

let pair: ClusterPair
beforeAll(async () => {
  // streamed transactions (v14+) as soon as one exceeds 64 kB: a cut can land inside one
  pair = await startPair(16, 16, { logical_decoding_work_mem: '64kB' })
})
afterAll(async () => {
  await pair?.stop()
})

/** A source database with the incremental fixture's tables (and `extra` SQL). */
async function sourceDatabase(prefix: string, extra = ''): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA + extra, [], db)
  return db
}

/** count + ordered md5 of every table of `db`'s public schema, partitioned roots included. */
async function everyTable(cluster: Cluster, db: string): Promise<Record<string, string>> {
  const names = await pair.source.query<{ t: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    [],
    db,
  )
  const out: Record<string, string> = {}
  for (const { t } of names.rows) out[t] = await tableDigest(cluster, db, t)
  return out
}

/** The target equals the source table by table, and complete left nothing behind. */
async function expectEqualAndClean(db: string): Promise<void> {
  expect(await everyTable(pair.target, db)).toEqual(await everyTable(pair.source, db))
  expect(await leftovers(pair, db)).toEqual([])
}

/** The task's connection settings for the source, through `proxy`. */
function throughProxy(proxy: TcpProxy, db: string): pg.ClientConfig {
  return { ...pair.source.config(db), host: proxy.host, port: proxy.port }
}

/** The rejection of `done`, which must come. */
async function failureOf(done: Promise<void>): Promise<PgferryError> {
  const error: unknown = await done.then(
    () => new Error('the sync ended without an error'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PgferryError)
  return error as PgferryError
}

/** The rejection of `done`, which must come within `ms` (a bound, not a measured duration). */
async function failureWithin(done: Promise<void>, ms: number): Promise<PgferryError> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the sync did not end within ${ms} ms`)), ms)
  })
  try {
    return await failureOf(Promise.race([done, bound]))
  } finally {
    clearTimeout(timer)
  }
}

/** The source port of the walsender streaming `task`'s slot of `db`: its connection in the proxy. */
async function replicationConnection(
  proxy: TcpProxy,
  task: Task,
  db: string,
): Promise<ProxiedConnection> {
  const { databases } = await readLoadProgress(task.store, task.id)
  const r = await pair.source.query<{ port: number }>(
    `SELECT a.client_port AS port FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid WHERE s.slot_name = $1`,
    [databases.get(db)?.slot],
  )
  const conn = proxy.byServerPort(r.rows[0]?.port ?? -1)
  if (conn === undefined)
    throw new Error('the replication connection does not go through the proxy')
  return conn
}

/** A failure the caller fixes by starting the sync again: retryable, and it says so. */
function expectRetryableLoss(error: PgferryError, side: 'source' | 'target', db: string): void {
  const { code, retryable, message, fix } = error
  expect({ code, retryable, side: error.side, message, fix }).toMatchObject({
    code: 'PGFERRY_CONNECTION_LOST',
    retryable: true,
    side,
    message: expect.stringMatching(new RegExp(`${side}.*${db}|${db}.*${side}`)) as string,
    fix: expect.stringMatching(/startIncremental/) as string,
  })
}

/** Close the task; one a failed test left behind is deleted, so the next test's check is its own. */
async function release(task: Task): Promise<void> {
  if (task.state !== 'completed') await task.delete().catch(() => undefined)
  await task.close()
}

/** Start the sync, wait for `batches` applied batches under a running writer. */
async function syncUnderWriter(
  task: Task,
  db: string,
  batches = 3,
  options: IncrementalOptions = {},
): Promise<{
  sync: Awaited<ReturnType<Task['startIncremental']>>
  writer: ReturnType<typeof startWriter>
  client: pg.Client
}> {
  const client = await pair.source.client(db)
  const writer = startWriter(client)
  let seen = 0
  task.on('apply:batch', () => seen++)
  const sync = await task.startIncremental(options)
  await eventually(async () => seen >= batches, 120_000)
  return { sync, writer, client }
}

/** After a fault: the writer goes on a while, the sync is started again, then complete. */
async function resumeAndComplete(
  task: Task,
  writer: ReturnType<typeof startWriter>,
): Promise<void> {
  const at = writer.steps()
  await eventually(async () => writer.steps() >= at + 10, 120_000)
  await task.startIncremental()
  const again = writer.steps()
  await eventually(async () => writer.steps() >= again + 10, 120_000)
  await writer.stop()
  await task.complete()
  expect(task.state).toBe('completed')
}

/**
 * The shape of a fault test: a sync under a running writer, `fault` (it breaks a connection), a
 * retryable PGFERRY_CONNECTION_LOST on `side`, then a resume that ends equal and leaves nothing.
 */
async function survivesFault(
  task: Task,
  db: string,
  side: 'source' | 'target',
  fault: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const { sync, writer, client } = await syncUnderWriter(task, db)
  try {
    await fault(client)
    expectRetryableLoss(await failureOf(sync.done), side, db)
    await resumeAndComplete(task, writer)
    await expectEqualAndClean(db)
  } finally {
    await writer.stop()
    await client.end()
    await release(task)
  }
}

describe('network and server faults around a migration (16 → 16)', () => {
  it('the target restarted with -m immediate mid-apply: a retryable error, then a resume ends equal', async () => {
    const db = await sourceDatabase('trestart')
    await survivesFault(await loadedTask(pair, db), db, 'target', () =>
      pair.target.restart({ immediate: true }),
    )
  }, 300_000)

  it('the walsender terminated mid-sync: a retryable error, then a resume ends equal', async () => {
    const db = await sourceDatabase('walsender')
    const task = await loadedTask(pair, db)
    await survivesFault(task, db, 'source', async () => {
      const { databases } = await readLoadProgress(task.store, task.id)
      const slot = databases.get(db)?.slot
      const r = await pair.source.query<{ pid: number }>(
        `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`,
        [slot],
      )
      expect(r.rowCount).toBe(1)
      await pair.source.query(`SELECT pg_terminate_backend($1)`, [r.rows[0]?.pid])
    })
  }, 300_000)

  it('the replication connection cut through a proxy mid-stream: a retryable error, then a resume ends equal', async () => {
    const db = await sourceDatabase('replcut')
    const proxy = await startTcpProxy(pair.source.host, pair.source.port)
    const task = await loadedTask(pair, db, { config: { source: throughProxy(proxy, db) } })
    try {
      await survivesFault(task, db, 'source', async (client) => {
        const { databases } = await readLoadProgress(task.store, task.id)
        const r = await pair.source.query<{ port: number }>(
          `SELECT a.client_port AS port FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid WHERE s.slot_name = $1`,
          [databases.get(db)?.slot],
        )
        const conn = proxy.byServerPort(r.rows[0]?.port ?? -1)
        expect(conn).toBeDefined()
        // a transaction of several MB (streamed in pieces), and the stream held 64 kB into what
        // follows: the cut lands at an arbitrary byte of the stream, inside a message
        conn?.hold(64 * 1024)
        await client.query(
          `INSERT INTO items (name, js) SELECT 'bulk ' || g, jsonb_build_object('pad', repeat('x', 300)) FROM generate_series(1, 20000) g`,
        )
        await eventually(async () => conn?.held === true, 120_000)
        conn?.cut()
      })
    } finally {
      await proxy.close()
    }
  }, 300_000)

  it('the replication connection black-holed (no FIN, no RST): the sync fails a retryable PGFERRY_CONNECTION_LOST naming the receive timeout; resumed too early, a retryable PGFERRY_WAL_SLOT_ACTIVE naming the walsender; healed, a resume ends equal', async () => {
    const db = await sourceDatabase('replhole')
    // the source notices a dead client only after wal_sender_timeout: an hour here, so the early
    // resume below finds the slot still held whatever the machine's load, and the stream is kept
    // alive by nothing but the replies pgferry asks for
    await pair.source.query(`ALTER DATABASE ${quoteIdent(db)} SET wal_sender_timeout = '1h'`)
    const proxy = await startTcpProxy(pair.source.host, pair.source.port)
    const task = await loadedTask(pair, db, { config: { source: throughProxy(proxy, db) } })
    // short, but reachable only by a dead connection: at half of it pgferry asks the walsender
    // for a reply, which a live one sends at once
    const receiveTimeoutMs = 4000
    const { sync, writer, client } = await syncUnderWriter(task, db, 3, { receiveTimeoutMs })
    let conn: ProxiedConnection | undefined
    try {
      conn = await replicationConnection(proxy, task, db)
      conn.blackHole()
      const error = await failureWithin(sync.done, 120_000)
      expectRetryableLoss(error, 'source', db)
      expect(error.message).toMatch(/nothing .*4000 ms.*receiveTimeoutMs/)
      expect(task.state).toBe('failed')
      // resumed before the path heals: the old walsender still streams the slot to nobody
      const { databases } = await readLoadProgress(task.store, task.id)
      const slot = databases.get(db)?.slot ?? ''
      const walsender = await pair.source.query<{ pid: number }>(
        `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
        [slot],
      )
      const early: unknown = await task.startIncremental().then(
        () => new Error('the sync started on a slot still in use'),
        (e: unknown) => e,
      )
      expect(early).toBeInstanceOf(PgferryError)
      const { code, retryable, message, fix } = early as PgferryError
      expect({ code, retryable, message, fix }).toMatchObject({
        code: 'PGFERRY_WAL_SLOT_ACTIVE',
        retryable: true,
        message: expect.stringContaining(slot) as string,
        fix: expect.stringMatching(
          new RegExp(`wal_sender_timeout.*pg_terminate_backend\\(${walsender.rows[0]?.pid}\\)`),
        ) as string,
      })
      // the path heals: the old walsender sees its client gone and releases the slot
      conn.release()
      await resumeAndComplete(task, writer)
      await expectEqualAndClean(db)
    } finally {
      // a stream still waiting on the dead connection would hold up the task's delete
      conn?.release()
      await writer.stop()
      await client.end()
      await release(task)
      await proxy.close()
    }
  }, 300_000)

  /**
   * A full load whose source connections go through a proxy, cut while the COPY of a large table
   * is in flight (`cut`: that COPY's connection, or every connection of the load), then taken on
   * to a completed migration; `afterCut` sees the first fullLoad's outcome.
   */
  async function cutMidChunk(
    prefix: string,
    cut: (proxy: TcpProxy, copy: ProxiedConnection, watch: pg.Client, db: string) => Promise<void>,
    afterCut: (load: Promise<unknown>, task: Task) => Promise<void>,
  ): Promise<PgferryEvents['warning'][]> {
    // large enough that its COPY is still sending when it is held below
    const db = await sourceDatabase(
      prefix,
      `CREATE TABLE bulk (id int PRIMARY KEY, pad text);
       INSERT INTO bulk SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 200000) g;`,
    )
    const proxy = await startTcpProxy(pair.source.host, pair.source.port)
    const task = await structuredTask(pair, db, {
      config: { source: throughProxy(proxy, db), parallelism: 1 },
    })
    const warnings: PgferryEvents['warning'][] = []
    task.on('warning', (w) => warnings.push(w))
    const [watchS, watchT, holdT, client] = await Promise.all([
      pair.source.client(db),
      pair.target.client(db),
      pair.target.client(db),
      pair.source.client(db),
    ])
    const writer = startWriter(client)
    try {
      // the target COPY into bulk waits on its first row, so the source COPY stays mid-chunk
      const held = await holdInserts(holdT, 'bulk')
      const load = task.fullLoad()
      load.catch(() => undefined)
      await waitForLockedBackend(watchT, db, 'COPY%bulk%FROM STDIN%')
      const source = await watchS.query<{ port: number }>(
        `SELECT client_port AS port FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY%bulk%TO STDOUT%' AND state = 'active'`,
        [db],
      )
      expect(source.rowCount).toBe(1)
      const conn = proxy.byServerPort(source.rows[0]?.port ?? -1)
      if (conn === undefined) throw new Error('the COPY of bulk does not go through the proxy')
      // rows of this chunk have crossed the proxy: the cut is in the middle of the COPY
      await eventually(async () => conn.bytesDown >= 64 * 1024, 120_000)
      await cut(proxy, conn, watchS, db)
      // committed after the snapshot: must come by the stream, not by a copy made again
      await client.query(`UPDATE bulk SET pad = 'changed' WHERE id % 1000 = 0`)
      await held.release()
      await afterCut(load, task)
      await task.startIncremental()
      const at = writer.steps()
      await eventually(async () => writer.steps() >= at + 10, 120_000)
      await writer.stop()
      await task.complete()
      await expectEqualAndClean(db)
      return warnings
    } finally {
      await writer.stop()
      await Promise.all([watchS, watchT, holdT, client].map((c) => c.end()))
      await release(task)
      await proxy.close()
    }
  }

  it('the COPY connection cut through a proxy mid-chunk: the chunk is copied again under the same snapshot, and the migration ends equal', async () => {
    const warnings = await cutMidChunk(
      'copycut',
      async (_, copy) => copy.cut(),
      async (load) => void (await load),
    )
    const retried = warnings.filter((w) => w.code === 'PGFERRY_FULLLOAD_CHUNK_RETRY')
    expect(retried.map((w) => w.object)).toContain('public.bulk')
  }, 300_000)

  it('every source connection of the load cut mid-chunk, the snapshot holder included: a retryable PGFERRY_FULLLOAD_SNAPSHOT_LOST, then the load again ends equal', async () => {
    const warnings = await cutMidChunk(
      'copycutall',
      async (proxy) => proxy.cutAll(),
      async (load, task) => {
        const error = await failureOf(load.then(() => undefined))
        const { code, retryable, message, fix } = error
        expect({ code, retryable, message, fix }).toMatchObject({
          code: 'PGFERRY_FULLLOAD_SNAPSHOT_LOST',
          retryable: true,
          message: expect.stringContaining('snapshot') as string,
          fix: expect.stringMatching(/full load again/) as string,
        })
        await task.fullLoad()
      },
    )
    expect(warnings.map((w) => w.code)).toContain('PGFERRY_FULLLOAD_NEW_SNAPSHOT')
  }, 300_000)
  it('the snapshot holder gone unseen, then the COPY cut: the copy is not retried under a snapshot that no longer exists, the load fails PGFERRY_FULLLOAD_SNAPSHOT_LOST, and again ends equal', async () => {
    await cutMidChunk(
      'copyunseen',
      async (proxy, copy, watch, db) => {
        // the slot's walsender exports the snapshot (full+incremental): its server side ends,
        // while pgferry's end of that connection hears nothing
        const r = await watch.query<{ pid: number; port: number }>(
          `SELECT pid, client_port AS port FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'walsender'`,
          [db],
        )
        expect(r.rowCount).toBe(1)
        const holder = proxy.byServerPort(r.rows[0]?.port ?? -1)
        if (holder === undefined)
          throw new Error('the snapshot holder does not go through the proxy')
        holder.dropServerSide()
        await eventually(
          async () =>
            (await watch.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [r.rows[0]?.pid]))
              .rowCount === 0,
          60_000,
        )
        copy.cut()
      },
      async (load, task) => {
        const error = await failureOf(load.then(() => undefined))
        const { code, retryable, message, fix } = error
        expect({ code, retryable, message, fix }).toMatchObject({
          code: 'PGFERRY_FULLLOAD_SNAPSHOT_LOST',
          retryable: true,
          message: expect.stringContaining('snapshot') as string,
          fix: expect.stringMatching(/full load again/) as string,
        })
        await task.fullLoad()
      },
    )
  }, 300_000)
})

describe('a row changed on the target behind the task (16 → 16)', () => {
  /** What each conflict below stopped the sync with, and what its error must name. */
  const conflicts: { error: PgferryError; table: string; key: string; fix: RegExp }[] = []

  /** The sync stopped on a conflict (never applied past it) with an error naming the table. */
  function expectConflict(error: PgferryError, table: string, key: string, fix: RegExp): void {
    expect(error.code).toBe('PGFERRY_APPLY_FAILED')
    expect(error.message).toContain(table)
    conflicts.push({ error, table, key, fix })
  }

  it('a row inserted on the target with the key the source inserts next: the sync stops there naming the table; removed, the resume ends equal', async () => {
    const db = await sourceDatabase('conflict_ins')
    const task = await loadedTask(pair, db)
    const client = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      for (let i = 1; i <= 5; i++) await writeStep(client, i)
      await pair.target.query(`INSERT INTO parent VALUES (5000, 'put on the target')`, [], db)
      await client.query(`INSERT INTO parent VALUES (5000, 'from the source')`)
      for (let i = 6; i <= 10; i++) await writeStep(client, i)
      const error = await failureOf(sync.done)
      expect(task.state).toBe('failed')
      expectConflict(error, 'public.parent', '(id)=(5000)', /delete|remove/i)
      // the user removes the stray row and starts the sync again
      await pair.target.query(`DELETE FROM parent WHERE id = 5000`, [], db)
      await task.startIncremental()
      for (let i = 11; i <= 15; i++) await writeStep(client, i)
      await task.complete()
      await expectEqualAndClean(db)
    } finally {
      await client.end()
      await release(task)
    }
  }, 300_000)

  it('a row deleted on the target that the source updates: the sync stops there naming the table; restored, the resume ends equal', async () => {
    const db = await sourceDatabase('conflict_upd')
    const task = await loadedTask(pair, db)
    const client = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      for (let i = 1; i <= 5; i++) await writeStep(client, i)
      await pair.target.query(`DELETE FROM keyed WHERE k1 = 77`, [], db)
      await client.query(`UPDATE keyed SET v = 'updated on the source' WHERE k1 = 77`)
      for (let i = 6; i <= 10; i++) await writeStep(client, i)
      const error = await failureOf(sync.done)
      expect(task.state).toBe('failed')
      expectConflict(error, 'public.keyed', '(k1, k2)=(77, k77)', /restore|insert|copy/i)
      // the user puts the row back as the source has it, and starts the sync again
      const row = await pair.source.query<{ v: string }>(
        `SELECT v FROM keyed WHERE k1 = 77`,
        [],
        db,
      )
      await pair.target.query(`INSERT INTO keyed VALUES (77, 'k77', $1)`, [row.rows[0]?.v], db)
      await task.startIncremental()
      for (let i = 11; i <= 15; i++) await writeStep(client, i)
      await task.complete()
      await expectEqualAndClean(db)
    } finally {
      await client.end()
      await release(task)
    }
  }, 300_000)

  // Each conflict's error names the key (a unique violation's detail, or the key the run did not
  // find), says how to mend the target, and is not retryable as it stands.
  it('conflict errors name the key and the fix, and are not retryable as they stand', () => {
    expect(conflicts).toHaveLength(2)
    for (const { error, table, key, fix } of conflicts) {
      expect({ retryable: error.retryable, message: error.message, fix: error.fix }).toMatchObject({
        // the same call fails the same way until the target is mended
        retryable: false,
        message: expect.stringMatching(
          new RegExp(`${table}.*${key.replace(/[()]/g, '\\$&')}`),
        ) as string,
        fix: expect.stringMatching(fix) as string,
      })
    }
  })
})
