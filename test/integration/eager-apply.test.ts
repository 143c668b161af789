/**
 * A large source transaction is applied while it streams (issue 11): with
 * `logical_decoding_work_mem = 64kB` a few thousand rows stream, and the target must already hold
 * them, uncommitted, before the source commits. Seen without trusting pgferry: a target backend
 * other than ours holds RowExclusiveLock on the table and the table's heap has grown, while no row
 * is visible yet. Aborts of the whole transaction and of a subtransaction, interleaved small
 * transactions, a REPLICA IDENTITY FULL table of identical rows (applied while it streams; given up
 * when a small transaction changes the same table meanwhile), a lock wait on the target (falls back
 * to the replay at commit) and a SIGKILL with the eager transaction open all end with the target
 * equal to the source, by SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { openTask, type Task } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { caughtUp } from '../harness/caught-up.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'
import { seededRandom } from '../harness/seeded-random.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16, { logical_decoding_work_mem: '64kB' })
})
afterAll(async () => {
  await pair?.stop()
})

const SCHEMA = `CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL);
  INSERT INTO big SELECT g, 'seed ' || g FROM generate_series(1, 100) g;
  CREATE TABLE side (id int PRIMARY KEY);
  INSERT INTO side SELECT generate_series(1, 10);
  CREATE TABLE fullrows (a int, b text);
  ALTER TABLE fullrows REPLICA IDENTITY FULL;
  INSERT INTO fullrows SELECT g % 5, 'r' || (g % 5) FROM generate_series(1, 20) g;
  CREATE TABLE fullbulk (a int, b text);
  ALTER TABLE fullbulk REPLICA IDENTITY FULL;
  INSERT INTO fullbulk SELECT g % 100, 'r' || (g % 100) FROM generate_series(1, 2000) g;
  CREATE TABLE fullmix (a int, b text, c int);
  ALTER TABLE fullmix REPLICA IDENTITY FULL;
  INSERT INTO fullmix SELECT g % 40, 'm' || (g % 40), 0 FROM generate_series(1, 2400) g;`

/** The first `n` physical rows of fullbulk: for n <= 1000, n / 100 of the 20 copies of each row. */
const fullbulkFirst = (n: number): string =>
  `ctid = ANY (ARRAY(SELECT ctid FROM fullbulk ORDER BY ctid LIMIT ${n}))`

/**
 * Some backend of the target other than the test's holds fullbulk open for writing while no row the
 * large transaction changes ('+' appended, a moved past 1000) is visible: a REPLICA IDENTITY FULL
 * table's changes applied while they stream.
 */
async function fullEagerWritten(db: string): Promise<boolean> {
  const r = await pair.target.query<{ locked: boolean; visible: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.relation = 'fullbulk'::regclass AND l.mode = 'RowExclusiveLock'
                       AND l.granted AND l.pid <> pg_backend_pid()) AS locked,
            (SELECT count(*)::int FROM fullbulk WHERE b LIKE '%+' OR a >= 1000) AS visible`,
    [],
    db,
  )
  return r.rows[0]?.locked === true && r.rows[0]?.visible === 0
}

/** Rows 1000 + [from, to) of the large transaction. */
const bigInsert = (from: number, to: number): string =>
  `INSERT INTO big SELECT 1000 + g, md5(g::text) || md5((g + 1)::text) FROM generate_series(${from}, ${to - 1}) g`

/**
 * A database with `big`, loaded, and its task (ids given for a task reopened by a child);
 * `fallbacks` collects the task's warnings that a transaction was applied at commit instead.
 */
async function prepared(
  name: string,
  id?: string,
): Promise<{ db: string; task: Task; fallbacks: string[] }> {
  const db = await pair.source.createDatabase(name)
  await pair.source.query(SCHEMA, [], db)
  const task = await loadedTask(pair, db, id === undefined ? {} : { id })
  const fallbacks: string[] = []
  task.on('warning', (w) => {
    if (w.code === 'PGFERRY_APPLY_EAGER_FALLBACK') fallbacks.push(w.message)
  })
  return { db, task, fallbacks }
}

/**
 * Some backend of the target other than the test's holds `big` open for writing and its heap
 * holds more than `pages` pages, none of which any committed row explains: the uncommitted
 * changes of a transaction applied while it streams.
 */
async function eagerWritten(db: string, pages: number, above = 1000): Promise<boolean> {
  const r = await pair.target.query<{ locked: boolean; pages: number; visible: number }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.relation = 'big'::regclass AND l.mode = 'RowExclusiveLock'
                       AND l.granted AND l.pid <> pg_backend_pid()) AS locked,
            (pg_relation_size('big') / current_setting('block_size')::int)::int AS pages,
            (SELECT count(*)::int FROM big WHERE id > $1) AS visible`,
    [above],
    db,
  )
  const row = r.rows[0]
  return row !== undefined && row.locked && row.pages > pages && row.visible === 0
}

async function equal(db: string): Promise<void> {
  expect(await tableDigest(pair.target, db, 'big')).toBe(await tableDigest(pair.source, db, 'big'))
}

async function sourceClient(db: string): Promise<pg.Client> {
  return pair.source.client(db)
}

/** What a test with a large transaction and small ones beside it works with. */
interface Writers {
  readonly db: string
  readonly task: Task
  readonly fallbacks: string[]
  /** The source connection of the large transaction. */
  readonly big: pg.Client
  /** The source connection of the small transactions committed meanwhile. */
  readonly small: pg.Client
}

/** `prepared(name)` and two source connections for `body`; all closed after it. */
async function withWriters(name: string, body: (w: Writers) => Promise<void>): Promise<void> {
  const { db, task, fallbacks } = await prepared(name)
  const big = await sourceClient(db)
  const small = await sourceClient(db)
  try {
    await body({ db, task, fallbacks, big, small })
  } finally {
    await big.end()
    await small.end()
    await task.close()
  }
}

/** Each of `tables` is the same on the target as on the source, by SQL. */
async function tablesEqual(db: string, tables: readonly string[], label = ''): Promise<void> {
  for (const t of tables)
    expect(await tableDigest(pair.target, db, t), `${label}${t}`).toBe(
      await tableDigest(pair.source, db, t),
    )
}

describe('a large transaction is applied while it streams (16 → 16)', () => {
  it('is partly on the target before the source commits; small transactions meanwhile are applied at once; equal after COMMIT', async () => {
    await withWriters('eager_commit', async ({ db, task, fallbacks, big, small }) => {
      const sync = await task.startIncremental()
      await big.query('BEGIN')
      await big.query(bigInsert(0, 20_000))
      await eventually(() => eagerWritten(db, 20), 60_000)
      // other rows of the same table, committed while the large one is open
      for (let i = 1; i <= 20; i++)
        await small.query(`UPDATE big SET v = v || '+' WHERE id = $1`, [i])
      await small.query(`DELETE FROM big WHERE id = 99`)
      await eventually(async () => {
        const r = await pair.target.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM big WHERE v LIKE '%+'`,
          [],
          db,
        )
        return r.rows[0]?.n === 20
      }, 60_000)
      expect(await eagerWritten(db, 20)).toBe(true)
      await big.query(bigInsert(20_000, 25_000))
      await big.query('COMMIT')
      await caughtUp(sync, pair.source)
      await equal(db)
      expect(fallbacks).toEqual([])
    })
  }, 180_000)

  it('a Stream Abort of the whole transaction and of a subtransaction leaves exactly the committed rows', async () => {
    const { db, task, fallbacks } = await prepared('eager_abort')
    const c = await sourceClient(db)
    try {
      const sync = await task.startIncremental()
      // the whole transaction, after part of it is on the target
      await c.query('BEGIN')
      await c.query(bigInsert(0, 20_000))
      await eventually(() => eagerWritten(db, 20), 60_000)
      await c.query('ROLLBACK')
      // a subtransaction rolled back after its rows are on the target, between kept rows
      await c.query('BEGIN')
      await c.query(bigInsert(0, 5_000))
      await c.query(`UPDATE big SET v = 'top' WHERE id <= 10`)
      await c.query('SAVEPOINT a')
      await c.query(bigInsert(5_000, 20_000))
      await c.query(`UPDATE big SET v = 'sub' WHERE id <= 50`)
      await c.query(`DELETE FROM big WHERE id BETWEEN 60 AND 70`)
      // past what the rows before the savepoint fill, and the previous attempt's dead rows
      await eventually(() => eagerWritten(db, 200), 60_000)
      await c.query('ROLLBACK TO SAVEPOINT a')
      await c.query(bigInsert(30_000, 32_000))
      await c.query('SAVEPOINT b')
      await c.query(`UPDATE big SET v = 'kept' WHERE id BETWEEN 80 AND 90`)
      await c.query('RELEASE SAVEPOINT b')
      await c.query('COMMIT')
      await caughtUp(sync, pair.source)
      await equal(db)
      const r = await pair.target.query<{ n: number }>(`SELECT count(*)::int AS n FROM big`, [], db)
      expect(r.rows[0]?.n).toBe(100 + 5_000 + 2_000)
      // applied while it streamed, savepoints and all, not replayed at commit
      expect(fallbacks).toEqual([])
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a lock held on the target makes it fall back to the replay at commit: equal', async () => {
    const { db, task, fallbacks: warnings } = await prepared('eager_lock')
    const c = await sourceClient(db)
    const holder = await pair.target.client(db)
    try {
      const sync = await task.startIncremental()
      await holder.query('BEGIN')
      await holder.query(`SELECT * FROM big WHERE id = 5 FOR UPDATE`)
      await c.query('BEGIN')
      await c.query(`UPDATE big SET v = 'changed' WHERE id = 5`)
      await c.query(bigInsert(0, 20_000))
      await eventually(async () => warnings.length > 0, 60_000)
      expect(warnings[0]).toMatch(/lock/)
      // given up: nothing of it is held on the target any more
      const locks = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'big'::regclass AND mode = 'RowExclusiveLock'`,
        [],
        db,
      )
      expect(locks.rows[0]?.n).toBe(0)
      await c.query('COMMIT')
      await holder.query('COMMIT')
      await caughtUp(sync, pair.source)
      await equal(db)
    } finally {
      await c.end()
      await holder.end()
      await task.close()
    }
  }, 180_000)

  it('an apply connection waiting on the eager transaction (a target-only unique index) makes it fall back instead of hanging', async () => {
    await withWriters('eager_waits', async ({ db, task, fallbacks, big, small }) => {
      // the target alone has it: a later source transaction's row then waits on the eager one's
      await pair.target.query(`CREATE UNIQUE INDEX big_v_target_only ON big (v)`, [], db)
      const sync = await task.startIncremental()
      await big.query('BEGIN')
      await big.query(`UPDATE big SET v = 'dup' WHERE id = 5`)
      await big.query(bigInsert(0, 20_000))
      await eventually(() => eagerWritten(db, 20), 60_000)
      await small.query(`INSERT INTO big VALUES (200, 'dup')`)
      // applied while the large transaction is still open on the source
      await eventually(async () => {
        const r = await pair.target.query(`SELECT 1 FROM big WHERE id = 200`, [], db)
        return r.rows.length === 1
      }, 60_000)
      expect(fallbacks.join('\n')).toMatch(/apply connection waits/)
      await big.query('ROLLBACK')
      await caughtUp(sync, pair.source)
      await equal(db)
    })
  }, 180_000)

  it('a REPLICA IDENTITY FULL table is applied while it streams: identical rows updated and deleted, equal after COMMIT', async () => {
    await withWriters('eager_full', async ({ db, task, fallbacks, big, small }) => {
      const sync = await task.startIncremental()
      await big.query('BEGIN')
      // half the copies of every row changed, a tenth of them deleted, by their whole values
      await big.query(`UPDATE fullbulk SET b = b || '+' WHERE ${fullbulkFirst(1000)}`)
      await big.query(`DELETE FROM fullbulk WHERE a % 10 = 3 AND b NOT LIKE '%+'`)
      await big.query(`UPDATE fullbulk SET a = a + 1000 WHERE a % 10 = 4 AND b LIKE '%+'`)
      await big.query(bigInsert(0, 5_000))
      await eventually(() => fullEagerWritten(db), 60_000)
      // another table's rows, committed while it is open, do not make it give up
      for (let i = 1; i <= 10; i++)
        await small.query(`UPDATE big SET v = v || '+' WHERE id = $1`, [i])
      await small.query(`INSERT INTO fullbulk VALUES (7, 'r7')`)
      await eventually(async () => {
        const r = await pair.target.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM big WHERE v LIKE '%+'`,
          [],
          db,
        )
        return r.rows[0]?.n === 10
      }, 60_000)
      expect(await fullEagerWritten(db)).toBe(true)
      await big.query('COMMIT')
      await caughtUp(sync, pair.source)
      await tablesEqual(db, ['big', 'fullbulk'])
      expect(fallbacks).toEqual([])
    })
  }, 180_000)

  it('a transaction committed meanwhile that changes the same FULL table makes it give up first, without waiting: equal', async () => {
    await withWriters('eager_full_shared', async ({ db, task, fallbacks, big, small }) => {
      const sync = await task.startIncremental()
      await big.query('BEGIN')
      // copies 1-10 of each row; the source locks those, the target may pick any copy
      await big.query(`UPDATE fullbulk SET b = b || '+' WHERE ${fullbulkFirst(1000)}`)
      await big.query(bigInsert(0, 5_000))
      await eventually(() => fullEagerWritten(db), 60_000)
      // the last copy of (7, r7) and of (8, r8), which the large transaction did not lock
      for (const a of [7, 8])
        await small.query(
          `DELETE FROM fullbulk WHERE ctid = (SELECT ctid FROM fullbulk WHERE a = $1 AND b NOT LIKE '%+' ORDER BY ctid DESC LIMIT 1)`,
          [a],
        )
      await eventually(async () => fallbacks.length > 0, 60_000)
      expect(fallbacks[0]).toMatch(/committed meanwhile changes rows of public\.fullbulk/)
      // applied while the large transaction is still open on the source
      await eventually(async () => {
        const r = await pair.target.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM fullbulk WHERE a IN (7, 8)`,
          [],
          db,
        )
        return r.rows[0]?.n === 38
      }, 60_000)
      await big.query(`UPDATE fullbulk SET b = b || '!' WHERE a = 7 AND b LIKE '%+'`)
      await big.query('COMMIT')
      await caughtUp(sync, pair.source)
      await tablesEqual(db, ['big', 'fullbulk'])
    })
  }, 180_000)

  it('seeded rounds: large transactions on a FULL table of identical rows while small ones change the same rows or others; equal after every round', async () => {
    await withWriters('eager_full_rounds', async ({ db, task, fallbacks, big, small }) => {
      const rnd = seededRandom(11)
      // one of the rows the round's values share, not locked by the large transaction on the source
      const pickMix = (r: number): string =>
        `ctid = (SELECT ctid FROM fullmix WHERE a % 8 = ${r} ORDER BY ctid OFFSET ${rnd.int(0, 40)} LIMIT 1 FOR UPDATE SKIP LOCKED)`
      const sync = await task.startIncremental()
      let yielded = 0
      for (let round = 0; round < 8; round++) {
        const r = round % 8
        const shares = round % 2 === 1
        const mark = `#${round}`
        await big.query('BEGIN')
        await big.query(
          `UPDATE fullmix SET b = b || '${mark}' WHERE ctid = ANY (ARRAY(SELECT ctid FROM fullmix WHERE a % 8 = ${r} ORDER BY ctid LIMIT ${rnd.int(60, 200)}))`,
        )
        await big.query(
          `DELETE FROM fullmix WHERE ctid = ANY (ARRAY(SELECT ctid FROM fullmix WHERE a % 8 = ${r} AND b NOT LIKE '%${mark}' ORDER BY ctid DESC LIMIT ${rnd.int(5, 30)}))`,
        )
        await big.query(bigInsert(100_000 * (round + 1), 100_000 * (round + 1) + 5_000))
        // its FULL rows are on the target, uncommitted, before anything else changes
        await eventually(async () => {
          const q = await pair.target.query<{ locked: boolean; visible: number }>(
            `SELECT EXISTS (SELECT 1 FROM pg_locks l
                             WHERE l.relation = 'fullmix'::regclass AND l.mode = 'RowExclusiveLock'
                               AND l.granted AND l.pid <> pg_backend_pid()) AS locked,
                    (SELECT count(*)::int FROM fullmix WHERE b LIKE $1) AS visible`,
            [`%${mark}`],
            db,
          )
          return q.rows[0]?.locked === true && q.rows[0]?.visible === 0
        }, 60_000)
        for (let k = 0; k < 10; k++) {
          const ops = rnd.int(1, 2)
          if (ops > 1) await small.query('BEGIN')
          for (let o = 0; o < ops; o++) {
            const op = k === 0 && o === 0 ? 0 : rnd.int(0, 2)
            if (!shares)
              await small.query(`UPDATE big SET v = v || '+' WHERE id = $1`, [rnd.int(1, 100)])
            else if (op === 0) await small.query(`UPDATE fullmix SET c = c + 1 WHERE ${pickMix(r)}`)
            else if (op === 1) await small.query(`DELETE FROM fullmix WHERE ${pickMix(r)}`)
            else {
              const a = 8 * rnd.int(0, 4) + r
              await small.query(`INSERT INTO fullmix VALUES ($1, 'm' || $1::int, 0)`, [a])
            }
          }
          if (ops > 1) await small.query('COMMIT')
        }
        // more of it after the small ones, a subtransaction undone, then its end
        await big.query('SAVEPOINT s')
        await big.query(`UPDATE fullmix SET c = c - 1 WHERE a % 8 = ${r} AND b LIKE '%${mark}'`)
        if (rnd.chance(0.5)) await big.query('ROLLBACK TO SAVEPOINT s')
        await big.query(rnd.chance(0.25) ? 'ROLLBACK' : 'COMMIT')
        await caughtUp(sync, pair.source)
        await tablesEqual(db, ['big', 'fullmix'], `round ${round}, `)
        // it gave up exactly when a small transaction changed rows of the same FULL table
        if (shares) yielded++
        expect(fallbacks.length, `round ${round}: ${fallbacks.join('; ')}`).toBe(yielded)
      }
      for (const f of fallbacks)
        expect(f).toMatch(/committed meanwhile changes rows of public\.fullmix/)
    })
  }, 300_000)

  it('a TRUNCATE inside it is applied at commit instead: equal', async () => {
    const { db, task, fallbacks } = await prepared('eager_unsafe')
    const c = await sourceClient(db)
    try {
      const sync = await task.startIncremental()
      for (const [unsafe, reason] of [[`TRUNCATE side`, /truncates/]] as const) {
        const before = fallbacks.length
        // past the rows and pages of the round before
        const from = 100_000 * (before + 1)
        const size = await pair.target.query<{ pages: number }>(
          `SELECT (pg_relation_size('big') / current_setting('block_size')::int)::int AS pages`,
          [],
          db,
        )
        const pages = (size.rows[0]?.pages ?? 0) + 20
        await c.query('BEGIN')
        await c.query(bigInsert(from, from + 20_000))
        await eventually(() => eagerWritten(db, pages, 1000 + from), 60_000)
        await c.query(unsafe)
        await c.query(bigInsert(from + 20_000, from + 25_000))
        await eventually(async () => fallbacks.length > before, 60_000)
        expect(fallbacks[before]).toMatch(reason)
        await c.query('COMMIT')
        await caughtUp(sync, pair.source)
        await tablesEqual(db, ['big', 'side', 'fullrows'])
      }
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a process killed with the eager transaction open resumes with nothing lost or doubled', async () => {
    const id = `eager-kill-${Date.now()}`
    const { db, task: first } = await prepared('eager_kill', id)
    await first.close()
    const c = await sourceClient(db)
    const child = spawnTs('test/harness/incremental-child.ts', [id, pair.target.url('postgres')])
    try {
      await waitForLine(child, /STREAMING/, 60_000)
      await c.query('BEGIN')
      await c.query(bigInsert(0, 20_000))
      await eventually(() => eagerWritten(db, 20), 60_000)
      child.kill('SIGKILL')
      await new Promise<void>((r) => child.once('exit', () => r()))
      await c.query(bigInsert(20_000, 22_000))
      await c.query('COMMIT')
    } finally {
      child.kill('SIGKILL')
    }
    const task = await openTask(id, { target: pair.target.url('postgres') })
    try {
      const sync = await task.startIncremental()
      await c.query(`UPDATE big SET v = 'after' WHERE id <= 10`)
      await caughtUp(sync, pair.source)
      await equal(db)
      await task.complete()
      await equal(db)
    } finally {
      await c.end()
      await task.close()
    }
  }, 240_000)
})
