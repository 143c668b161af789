/**
 * The replication transport and decoder against live servers: every DML kind replayed from the
 * decoded stream must rebuild exactly the rows the source holds; streaming, two-phase, logical
 * messages, backpressure, slot errors, and the flush position the server records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { startCluster, type Cluster } from '../harness/cluster.js'
import {
  ReplicationStream,
  type ReplicationStreamOptions,
} from '../../src/wal/replication-stream.js'
import {
  MessageType,
  type PgoutputMessage,
  type TupleData,
} from '../../src/wal/pgoutput-messages.js'
import { compareLsn, formatLsn, parseLsn } from '../../src/wal/lsn.js'
import { isPgferryError } from '../../src/errors.js'
import { SCHEMA_SQL } from '../fixtures/pgoutput/workload.js'
import { runSql } from '../fixtures/pgoutput/capture.js'

let v17: Cluster
let v12: Cluster
let v14: Cluster
beforeAll(async () => {
  ;[v17, v12, v14] = await Promise.all([
    startCluster({
      major: 17,
      settings: {
        logical_decoding_work_mem: '64kB',
        max_prepared_transactions: 10,
        wal_sender_timeout: '2s',
      },
    }),
    startCluster({ major: 12 }),
    startCluster({ major: 14, settings: { logical_decoding_work_mem: '64kB' } }),
  ])
})
afterAll(async () => {
  await Promise.all([v17?.stop(), v12?.stop(), v14?.stop()])
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A database with the fixture schema and a slot named after it. */
async function prepare(
  cluster: Cluster,
  options: { twoPhase?: boolean; publication?: string } = {},
): Promise<string> {
  const db = await cluster.createDatabase('wal')
  await runSql(
    cluster,
    db,
    options.publication === undefined
      ? SCHEMA_SQL
      : [...SCHEMA_SQL.slice(0, -1), options.publication],
  )
  await cluster.query(
    options.twoPhase === true
      ? `SELECT pg_create_logical_replication_slot($1, 'pgoutput', false, true)`
      : `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`,
    [db],
    db,
  )
  return db
}

async function replicationClient(cluster: Cluster, db: string): Promise<pg.Client> {
  const client = new pg.Client({
    ...cluster.config(db),
    replication: 'database',
  } as pg.ClientConfig)
  client.on('error', () => undefined)
  await client.connect()
  return client
}

interface Session {
  readonly stream: ReplicationStream
  readonly client: pg.Client
  readonly messages: PgoutputMessage[]
  /** Resolves when a message matching `pred` has been delivered. */
  until(pred: (m: PgoutputMessage) => boolean): Promise<PgoutputMessage>
  close(): Promise<void>
}

/**
 * Start a stream whose handler keeps every message (tuples copied: the views die with the
 * callback) and optionally delays.
 */
async function open(
  cluster: Cluster,
  db: string,
  options: Partial<ReplicationStreamOptions> = {},
  delay?: (m: PgoutputMessage) => Promise<void> | undefined,
): Promise<Session> {
  const client = await replicationClient(cluster, db)
  const messages: PgoutputMessage[] = []
  const waiters: {
    pred: (m: PgoutputMessage) => boolean
    resolve: (m: PgoutputMessage) => void
  }[] = []
  const stream = await ReplicationStream.start(
    client,
    { slot: db, publications: ['pub'], ...options },
    (m) => {
      const kept = keep(m)
      messages.push(kept)
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]
        if (w !== undefined && w.pred(kept)) {
          waiters.splice(i, 1)
          w.resolve(kept)
        }
      }
      return delay?.(m)
    },
  )
  return {
    stream,
    client,
    messages,
    until: (pred) => {
      const found = messages.find(pred)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve })
        stream.done.then(() => reject(new Error('stream ended')), reject)
      })
    },
    close: async () => {
      await stream.stop().catch(() => undefined)
      await client.end()
    },
  }
}

function copyTupleData(t: TupleData): TupleData {
  return t.copy()
}

/** A copy of a message whose tuples outlive the callback. */
function keep(m: PgoutputMessage): PgoutputMessage {
  switch (m.type) {
    case MessageType.Insert:
      return { ...m, newTuple: copyTupleData(m.newTuple) }
    case MessageType.Update:
      return {
        ...m,
        newTuple: copyTupleData(m.newTuple),
        oldTuple: m.oldTuple === undefined ? undefined : copyTupleData(m.oldTuple),
      }
    case MessageType.Delete:
      return { ...m, oldTuple: copyTupleData(m.oldTuple) }
    case MessageType.Message:
      return { ...m, content: Buffer.from(m.content) }
    default:
      return m
  }
}

const isMarker = (m: PgoutputMessage): boolean =>
  m.type === MessageType.Insert && m.relation.name === 'marker'

/**
 * Resolves at the Commit of the marker's transaction: the marker Insert is delivered before its
 * Commit, so a test that reads the message sequence to its end must wait for that Commit too.
 */
async function untilMarkerCommitted(s: Session): Promise<void> {
  const marker = await s.until(isMarker)
  await s.until(
    (m) => m.type === MessageType.Commit && s.messages.indexOf(m) > s.messages.indexOf(marker),
  )
}

/** Replay decoded changes into per-table maps, the way an applier would (text columns). */
function replay(messages: readonly PgoutputMessage[]): Map<string, Map<string, (string | null)[]>> {
  const tables = new Map<string, Map<string, (string | null)[]>>()
  const table = (name: string): Map<string, (string | null)[]> => {
    let t = tables.get(name)
    if (t === undefined) tables.set(name, (t = new Map()))
    return t
  }
  const text = (t: TupleData, i: number): string | null | undefined => t.text(i)
  const keyOf = (rel: { columns: readonly { isKey: boolean }[] }, t: TupleData): string =>
    JSON.stringify(rel.columns.map((c, i) => (c.isKey ? text(t, i) : '')))
  for (const m of messages) {
    if (m.type === MessageType.Insert) {
      table(m.relation.name).set(
        keyOf(m.relation, m.newTuple),
        m.relation.columns.map((_, i) => text(m.newTuple, i) as string | null),
      )
    } else if (m.type === MessageType.Update) {
      const t = table(m.relation.name)
      const oldKey = keyOf(m.relation, m.oldTuple ?? m.newTuple)
      const before = t.get(oldKey)
      expect(before, `update of a row we never saw in ${m.relation.name}`).toBeDefined()
      t.delete(oldKey)
      // unchanged TOAST ('u') keeps the old value: never NULL it
      const row = m.relation.columns.map((_, i) => {
        const v = text(m.newTuple, i)
        return v === undefined ? (before?.[i] ?? null) : v
      })
      t.set(keyOf(m.relation, m.newTuple), row)
    } else if (m.type === MessageType.Delete) {
      expect(table(m.relation.name).delete(keyOf(m.relation, m.oldTuple))).toBe(true)
    } else if (m.type === MessageType.Truncate) {
      for (const r of m.relations) table(r.name).clear()
    }
  }
  return tables
}

async function sourceRows(cluster: Cluster, db: string, sql: string): Promise<string[]> {
  const r = await cluster.query<Record<string, string | null>>(sql, [], db)
  return r.rows.map((row) => JSON.stringify(Object.values(row))).sort()
}

const DML = [
  `INSERT INTO items SELECT g, 'item ' || g, g * 1.25, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour', decode(md5(g::text), 'hex'), (ARRAY['sad','ok','happy'])[1 + g % 3]::mood, CASE WHEN g % 2 = 0 THEN repeat(md5(g::text), 100) END FROM generate_series(1, 60) g`,
  `UPDATE items SET price = price + 1 WHERE id % 3 = 0`,
  `UPDATE items SET id = id + 1000 WHERE id % 7 = 0`,
  `UPDATE items SET big = repeat('y', 3000) WHERE id = 4`,
  `UPDATE items SET name = NULL WHERE id = 8`,
  `DELETE FROM items WHERE id % 5 = 0`,
  `INSERT INTO full_rows SELECT g, 'v' || g FROM generate_series(1, 20) g`,
  `UPDATE full_rows SET b = b || '!' WHERE a % 4 = 0`,
  `DELETE FROM full_rows WHERE a % 6 = 0`,
  `INSERT INTO by_index SELECT g, 'b' || g, g FROM generate_series(1, 20) g`,
  `UPDATE by_index SET a = a + 100 WHERE a % 3 = 0`,
  `UPDATE by_index SET c = c * 2 WHERE a % 2 = 0`,
  `DELETE FROM by_index WHERE a % 5 = 0`,
  `INSERT INTO parent SELECT FROM generate_series(1, 3)`,
  `INSERT INTO child VALUES (1, 1), (2, 2)`,
  `TRUNCATE parent, child RESTART IDENTITY CASCADE`,
  `INSERT INTO marker VALUES (1)`,
]

describe('replication stream against live servers', () => {
  const clusterOf = (major: 12 | 14 | 17): Cluster =>
    major === 17 ? v17 : major === 14 ? v14 : v12

  it.each([17, 14, 12] as const)(
    'v%s: every DML kind decodes to exactly the rows the source holds',
    async (major) => {
      const cluster = clusterOf(major)
      const db = await prepare(cluster)
      await runSql(cluster, db, DML)
      const s = await open(cluster, db, major === 17 ? { binary: false } : {})
      try {
        await s.until(isMarker)
        expect(s.stream.protocol.protoVersion).toBe(major === 17 ? 4 : major === 14 ? 2 : 1)
        const tables = replay(s.messages)
        const mine = (name: string): string[] =>
          [...(tables.get(name)?.values() ?? [])].map((r) => JSON.stringify(r)).sort()
        expect(mine('items')).toEqual(
          await sourceRows(
            cluster,
            db,
            `SELECT id::text, name, price::text, at::text, data::text, m::text, big FROM items`,
          ),
        )
        expect(mine('items')).toHaveLength(48)
        expect(mine('full_rows')).toEqual(
          await sourceRows(cluster, db, `SELECT a::text, b FROM full_rows`),
        )
        expect(mine('by_index')).toEqual(
          await sourceRows(cluster, db, `SELECT a::text, b, c::text FROM by_index`),
        )
        const truncate = s.messages.find((m) => m.type === MessageType.Truncate)
        expect(truncate).toMatchObject({ cascade: true, restartIdentity: true })
        if (truncate?.type === MessageType.Truncate) {
          expect(truncate.relations.map((r) => r.name).sort()).toEqual(['child', 'parent'])
        }
        // the unchanged-TOAST path really was taken
        const toast = s.messages.filter(
          (m) =>
            m.type === MessageType.Update &&
            m.relation.name === 'items' &&
            m.newTuple.isUnchanged(6),
        )
        expect(toast.length).toBeGreaterThan(0)
      } finally {
        await s.close()
      }
    },
  )

  it.each([17, 14] as const)(
    'v%s: a transaction larger than logical_decoding_work_mem is streamed, spooled to disk, and released without its rolled-back savepoint',
    async (major) => {
      const cluster = clusterOf(major)
      const db = await prepare(cluster)
      await cluster.query(
        `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`,
        [`${db}_raw`],
        db,
      )
      await runSql(cluster, db, [
        `BEGIN`,
        `INSERT INTO bulk SELECT g FROM generate_series(1, 3000) g`,
        `SAVEPOINT a`,
        `INSERT INTO bulk SELECT g FROM generate_series(5001, 7000) g`,
        `ROLLBACK TO SAVEPOINT a`,
        `INSERT INTO bulk SELECT g FROM generate_series(9001, 9010) g`,
        `COMMIT`,
        `BEGIN`,
        `INSERT INTO bulk SELECT g FROM generate_series(20001, 23000) g`,
        `ROLLBACK`,
        `INSERT INTO marker VALUES (1)`,
      ])
      const spooled = await open(cluster, db, { spool: { memoryLimit: 16 * 1024 } })
      const raw = await open(cluster, db, { slot: `${db}_raw`, streamedTransactions: 'raw' })
      try {
        await Promise.all([spooled.until(isMarker), raw.until(isMarker)])
        // the server did stream it: Stream Start, a subtransaction Stream Abort, a whole Stream Abort
        const aborts = raw.messages.filter((m) => m.type === MessageType.StreamAbort)
        expect(raw.messages.some((m) => m.type === MessageType.StreamStart)).toBe(true)
        // 'parallel' streaming (proto 4, v16+) adds the abort LSN; v14's streaming 'on' does not
        expect(
          aborts.every(
            (m) =>
              m.type === MessageType.StreamAbort && (m.abortLsn !== undefined) === (major === 17),
          ),
        ).toBe(true)
        expect(aborts.some((m) => m.type === MessageType.StreamAbort && m.subXid !== m.xid)).toBe(
          true,
        )
        expect(aborts.some((m) => m.type === MessageType.StreamAbort && m.subXid === m.xid)).toBe(
          true,
        )
        // spooled: exactly the committed rows, in order, then the Stream Commit
        const ids = spooled.messages
          .filter((m) => m.type === MessageType.Insert && m.relation.name === 'bulk')
          .map((m) => (m.type === MessageType.Insert ? Number(m.newTuple.text(0)) : 0))
        const committed = await cluster.query<{ id: number }>(
          `SELECT id FROM bulk ORDER BY id`,
          [],
          db,
        )
        expect(ids).toEqual(committed.rows.map((r) => r.id))
        expect(ids).toHaveLength(3010)
        const commitAt = spooled.messages.findIndex((m) => m.type === MessageType.StreamCommit)
        expect(spooled.messages[commitAt - 1]).toMatchObject({ type: MessageType.Insert })
        expect(
          spooled.messages.some(
            (m) => m.type === MessageType.StreamStart || m.type === MessageType.StreamAbort,
          ),
        ).toBe(false)
      } finally {
        await Promise.all([spooled.close(), raw.close()])
      }
    },
  )

  it('two-phase: the prepared transaction arrives at PREPARE, its commit at COMMIT PREPARED', async () => {
    const db = await prepare(v17, { twoPhase: true })
    const s = await open(v17, db, { twoPhase: true })
    const writer = await v17.client(db)
    try {
      expect(s.stream.command).toContain(`two_phase 'true'`)
      await writer.query(`BEGIN`)
      await writer.query(`INSERT INTO items (id, name) VALUES (1, 'two-phase')`)
      await writer.query(`PREPARE TRANSACTION 'pgferry-gid'`)
      const prepare = await s.until((m) => m.type === MessageType.Prepare)
      expect(prepare).toMatchObject({ gid: 'pgferry-gid' })
      expect(s.messages.some((m) => m.type === MessageType.CommitPrepared)).toBe(false)
      const inserted = s.messages.find((m) => m.type === MessageType.Insert)
      expect(inserted?.type === MessageType.Insert && inserted.newTuple.text(1)).toBe('two-phase')
      expect(s.messages.findIndex((m) => m.type === MessageType.BeginPrepare)).toBeLessThan(
        s.messages.indexOf(inserted!),
      )
      await writer.query(`COMMIT PREPARED 'pgferry-gid'`)
      const commit = await s.until((m) => m.type === MessageType.CommitPrepared)
      expect(commit).toMatchObject({ gid: 'pgferry-gid' })
      if (commit.type === MessageType.CommitPrepared && prepare.type === MessageType.Prepare) {
        expect(commit.xid).toBe(prepare.xid)
      }
    } finally {
      await writer.end()
      await s.close()
    }
  })

  it('logical messages: transactional inside the transaction, non-transactional on their own, bytes intact', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [
      `BEGIN`,
      `INSERT INTO items (id) VALUES (1)`,
      `SELECT pg_logical_emit_message(true, 'pgferry/test', '\\x00ff10'::bytea)`,
      `COMMIT`,
      `SELECT pg_logical_emit_message(false, 'pgferry/test', 'outside')`,
      `INSERT INTO marker VALUES (1)`,
    ])
    const s = await open(v17, db)
    try {
      await untilMarkerCommitted(s)
      const kinds = s.messages.map((m) => String.fromCharCode(m.type)).join('')
      // Begin, schema (Type for the enum, Relation), Insert, the message inside, Commit, the one outside
      expect(kinds).toMatch(/^B[YR]*IMCMB[R]*IC$/)
      const [inside, outside] = s.messages.filter((m) => m.type === MessageType.Message)
      expect(inside).toMatchObject({
        transactional: true,
        prefix: 'pgferry/test',
        content: Buffer.from([0, 0xff, 0x10]),
      })
      expect(outside).toMatchObject({ transactional: false, content: Buffer.from('outside') })
    } finally {
      await s.close()
    }
  })

  it('a transaction replayed under a replication origin carries an Origin message', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [
      `SELECT pg_replication_origin_create('upstream')`,
      `SELECT pg_replication_origin_session_setup('upstream')`,
      `BEGIN`,
      `SELECT pg_replication_origin_xact_setup('1/ABCDEF0', now())`,
      `INSERT INTO items (id) VALUES (1)`,
      `COMMIT`,
      `SELECT pg_replication_origin_session_reset()`,
      `INSERT INTO marker VALUES (1)`,
    ])
    const s = await open(v17, db)
    try {
      await s.until(isMarker)
      const origin = s.messages.find((m) => m.type === MessageType.Origin)
      expect(origin).toMatchObject({ name: 'upstream', originLsn: parseLsn('1/ABCDEF0') })
      // sent right after the Begin of the transaction it belongs to
      expect(s.messages[s.messages.indexOf(origin!) - 1]?.type).toBe(MessageType.Begin)
      expect(s.messages.filter((m) => m.type === MessageType.Origin)).toHaveLength(1)
    } finally {
      await s.close()
      await v17.query(`SELECT pg_replication_origin_drop('upstream')`, [], db)
    }
  })

  it('a slow consumer pauses the socket: nothing is queued past the message it is working on', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [
      `INSERT INTO bulk SELECT g FROM generate_series(1, 20000) g`,
      `INSERT INTO marker VALUES (1)`,
    ])
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let delivered = 0
    const s = await open(v17, db, { streaming: false }, (m) => {
      delivered++
      return m.type === MessageType.Insert && delivered === 3 ? gate : undefined
    })
    try {
      await s.until((m) => m.type === MessageType.Insert)
      await sleep(500)
      expect(s.stream.paused).toBe(true)
      expect(delivered).toBe(3)
      release()
      await s.until(isMarker)
      expect(
        s.messages.filter((m) => m.type === MessageType.Insert && m.relation.name === 'bulk'),
      ).toHaveLength(20000)
    } finally {
      await s.close()
    }
  })

  it('a missing slot is PGFERRY_WAL_SLOT_MISSING and the connection stays usable', async () => {
    const db = await prepare(v17)
    const client = await replicationClient(v17, db)
    try {
      const error = await ReplicationStream.start(
        client,
        { slot: 'no_such_slot', publications: ['pub'] },
        () => undefined,
      ).catch((e: unknown) => e)
      expect(isPgferryError(error, 'PGFERRY_WAL_SLOT_MISSING')).toBe(true)
      expect((error as { sqlState?: string }).sqlState).toBe('42704')
      const ident = await client.query('IDENTIFY_SYSTEM')
      expect(ident.rows).toHaveLength(1)
    } finally {
      await client.end()
    }
  })

  it('stop() awaited inside the handler, or an aborted signal, ends the stream without a deadlock', async () => {
    const db = await prepare(v17)
    const client = await replicationClient(v17, db)
    const seen: MessageType[] = []
    const stream: ReplicationStream = await ReplicationStream.start(
      client,
      { slot: db, publications: ['pub'] },
      (m) => {
        seen.push(m.type)
        // called synchronously from the handler, and its promise handed back as the handler's
        return m.type === MessageType.Insert ? stream.stop() : undefined
      },
    )
    // written only now, so the handler cannot run before `stream` is assigned
    await runSql(v17, db, [
      `INSERT INTO items (id) VALUES (1)`,
      `INSERT INTO items (id) VALUES (2)`,
    ])
    await expect(stream.done).resolves.toBeUndefined()
    expect(seen.filter((t) => t === MessageType.Insert)).toHaveLength(1)
    await client.end()

    const controller = new AbortController()
    const other = await replicationClient(v17, db)
    const s2 = await ReplicationStream.start(
      other,
      { slot: db, publications: ['pub'], signal: controller.signal },
      (m) => (m.type === MessageType.Commit ? controller.abort() : undefined),
    )
    await expect(s2.done).resolves.toBeUndefined()
    await other.end()
  })

  it('a consumer error ends the stream with that error and leaves the connection usable', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [`INSERT INTO items (id) VALUES (1)`])
    const boom = new Error('consumer failed')
    const s = await open(v17, db, {}, (m) =>
      m.type === MessageType.Insert ? Promise.reject(boom) : undefined,
    )
    try {
      await expect(s.stream.done).rejects.toBe(boom)
      await expect(s.stream.stop()).rejects.toBe(boom)
      expect(s.messages.filter((m) => m.type === MessageType.Commit)).toHaveLength(0)
      expect((await s.client.query('IDENTIFY_SYSTEM')).rows).toHaveLength(1)
    } finally {
      await s.client.end()
    }
  })

  it('stop() ends the copy cleanly; a new connection resumes after the confirmed position', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [`INSERT INTO items (id) VALUES (1)`, `INSERT INTO marker VALUES (1)`])
    const s = await open(v17, db, { confirmIdle: false })
    const commit = await s.until((m) => m.type === MessageType.Commit)
    s.stream.confirm(commit.type === MessageType.Commit ? commit.endLsn : 0n)
    await s.until(isMarker)
    await s.stream.stop()
    await expect(s.stream.done).resolves.toBeUndefined()
    // pg has its connection back: replication commands work, a second stream is refused up front
    expect((await s.client.query('IDENTIFY_SYSTEM')).rows).toHaveLength(1)
    await expect(
      ReplicationStream.start(s.client, { slot: db, publications: ['pub'] }, () => undefined),
    ).rejects.toThrow(/already run a replication stream/)
    await s.client.end()
    // the first transaction is confirmed: a restart begins after it
    const again = await open(v17, db)
    try {
      await again.until(isMarker)
      const inserts = again.messages.filter((m) => m.type === MessageType.Insert)
      expect(inserts.map((m) => m.type === MessageType.Insert && m.relation.name)).toEqual([
        'marker',
      ])
    } finally {
      await again.close()
    }
  })
})

describe('standby status and the slot position', () => {
  async function slotLsn(db: string): Promise<string> {
    const r = await v17.query<{ lsn: string }>(
      `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [db],
    )
    return r.rows[0]?.lsn ?? ''
  }

  async function waitFor(check: () => Promise<boolean>, what: string, tries = 200): Promise<void> {
    for (let i = 0; i < tries; i++) {
      if (await check()) return
      await sleep(100)
    }
    throw new Error(`gave up waiting for ${what}`)
  }

  it('a busy consumer that never confirms stays connected past wal_sender_timeout and the slot does not move', async () => {
    const db = await prepare(v17)
    const before = await slotLsn(db)
    await runSql(v17, db, [`INSERT INTO items (id) VALUES (1)`])
    let release!: () => void
    const busy = new Promise<void>((r) => (release = r))
    // the consumer sits on the Commit: the socket is paused, so the server's keepalive requests go
    // unread and only our own periodic status updates keep the walsender from timing out
    const s = await open(v17, db, {}, (m) => (m.type === MessageType.Commit ? busy : undefined))
    try {
      await s.until((m) => m.type === MessageType.Commit)
      const pid = await v17.query<{ pid: number }>(
        `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
        [db],
      )
      await sleep(5000) // well past wal_sender_timeout (2s)
      expect(s.stream.paused).toBe(true)
      release()
      await runSql(v17, db, [`INSERT INTO marker VALUES (1)`])
      await s.until(isMarker)
      const after = await v17.query<{ pid: number }>(
        `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
        [db],
      )
      expect(after.rows[0]?.pid).toBe(pid.rows[0]?.pid)
      expect(await slotLsn(db)).toBe(before)
      expect(s.stream.confirmedLsn).toBe(before)
    } finally {
      await s.close()
    }
  })

  it('a short receive timeout is reached only by a dead connection: an idle stream is kept alive by the replies it asks for, and time paused in the consumer does not count', async () => {
    // v12 with the default wal_sender_timeout (60 s): the walsender's own idle keepalives come
    // every 30 s, so within the 2 s timeout only the replies the stream asks for arrive
    const db = await prepare(v12)
    await runSql(v12, db, [`INSERT INTO items (id) VALUES (1)`])
    let release!: () => void
    const busy = new Promise<void>((r) => (release = r))
    const s = await open(v12, db, { receiveTimeoutMs: 2000, statusIntervalMs: 200 }, (m) =>
      m.type === MessageType.Commit ? busy : undefined,
    )
    let ended = false
    s.stream.done.then(
      () => (ended = true),
      () => (ended = true),
    )
    // a tap after pg's parser and the stream: counts the server's keepalives ('k' in CopyData)
    let keepalives = 0
    const socket = (s.client as unknown as { connection: { stream: NodeJS.ReadableStream } })
      .connection.stream
    socket.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(0x6b); i >= 5; i = chunk.indexOf(0x6b, i + 1))
        if (chunk[i - 5] === 0x64 && chunk.readUInt32BE(i - 4) === 4 + 18) keepalives++
    })
    const replyTimes = new Set<string>()
    const replyTime = async (): Promise<boolean> => {
      const r = await v12.query<{ t: string }>(
        `SELECT r.reply_time::text AS t FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = $1`,
        [db],
      )
      replyTimes.add(r.rows[0]?.t ?? '')
      return ended || replyTimes.size >= 12
    }
    try {
      await s.until((m) => m.type === MessageType.Commit)
      // the consumer holds reading paused while twelve status updates (200 ms apart) reach the
      // server: longer than the timeout, and nothing read meanwhile
      await waitFor(replyTime, 'twelve status updates while paused', 600)
      expect({ ended, paused: s.stream.paused }).toEqual({ ended: false, paused: true })
      release()
      // idle: each keepalive now answers a request sent after half the timeout of silence, so four
      // of them span well over the timeout
      const from = keepalives
      await waitFor(async () => ended || keepalives >= from + 4, 'four requested keepalives', 600)
      expect(ended).toBe(false)
      await runSql(v12, db, [`INSERT INTO marker VALUES (1)`])
      await s.until(isMarker)
    } finally {
      release()
      await s.close()
    }
  })

  it('a consumer that confirms sees confirmed_flush_lsn at exactly what it confirmed', async () => {
    const db = await prepare(v17)
    await runSql(v17, db, [
      `INSERT INTO items (id) VALUES (1)`,
      `INSERT INTO items (id) VALUES (2)`,
    ])
    const s = await open(v17, db, { confirmIdle: false })
    try {
      const commits: bigint[] = []
      await s.until((m) => {
        if (m.type === MessageType.Commit) commits.push(m.endLsn)
        return commits.length === 2
      })
      const first = formatLsn(commits[0] as bigint)
      s.stream.confirm(first)
      await waitFor(async () => (await slotLsn(db)) === first, `confirmed_flush_lsn = ${first}`)
      // several status intervals later it is still exactly there (the second commit is unconfirmed)
      await sleep(2500)
      expect(await slotLsn(db)).toBe(first)
      expect(compareLsn(first, formatLsn(commits[1] as bigint))).toBeLessThan(0)
    } finally {
      await s.close()
    }
  })

  it('when everything is confirmed and the stream is idle, keepalives move the slot past unpublished WAL', async () => {
    const db = await prepare(v17, { publication: `CREATE PUBLICATION pub FOR TABLE items` })
    await runSql(v17, db, [`INSERT INTO items (id) VALUES (1)`])
    const s = await open(v17, db)
    try {
      const commit = await s.until((m) => m.type === MessageType.Commit)
      const end = commit.type === MessageType.Commit ? commit.endLsn : 0n
      s.stream.confirm(end)
      // WAL the publication does not carry: only keepalives tell us the server moved on
      await runSql(v17, db, [`INSERT INTO bulk SELECT g FROM generate_series(1, 100) g`])
      await waitFor(
        async () => compareLsn(await slotLsn(db), end) > 0,
        'the slot to move past the last commit',
      )
    } finally {
      await s.close()
    }
  })
})
