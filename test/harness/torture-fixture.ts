/**
 * The torture loop's source database: one table per hard apply path (a primary key, a key that
 * changes, an out-of-line TOAST column left unchanged by updates, a partitioned table whose rows
 * move between partitions, a keyless table with REPLICA IDENTITY FULL and duplicate rows, indexed
 * for every other seed, a sequence), sized from the seed, and a writer whose every operation is drawn from a seeded PRNG.
 */
import type pg from 'pg'
import type { SeededRandom } from './seeded-random.js'

/** A compared table: its name and the SQL expression of its key (none: compared as a multiset). */
export interface TortureTable {
  readonly name: string
  readonly key: string | null
}

export const TORTURE_TABLES: readonly TortureTable[] = [
  { name: 'accounts', key: 'id::text' },
  { name: 'rekeyed', key: 'k::text' },
  { name: 'docs', key: 'id::text' },
  // the root holds the leaves' rows; a row in the wrong leaf could not be told from the root alone
  { name: 'events', key: `id::text || '/' || region` },
  { name: 'events_eu', key: 'id::text' },
  { name: 'events_us', key: 'id::text' },
  { name: 'events_ap', key: 'id::text' },
  { name: 'ledger', key: null },
]

export const TORTURE_SEQUENCES = ['accounts_id_seq', 'tick_seq'] as const

/** Tables the writer may TRUNCATE: a leaf partition among them (its TRUNCATE must reach the target). */
const TRUNCATED = ['ledger', 'rekeyed', 'events', 'events_us'] as const

const REGIONS = ['eu', 'us', 'ap'] as const

/** Row counts of one seed's database, scaled by `scale` (1 = a few MB, a load of a few seconds). */
export interface TortureSizes {
  readonly accounts: number
  readonly rekeyed: number
  readonly docs: number
  readonly events: number
  readonly ledger: number
}

export function tortureSizes(rnd: SeededRandom, scale: number): TortureSizes {
  const n = (lo: number, hi: number): number => Math.max(1, Math.round(rnd.int(lo, hi) * scale))
  return {
    accounts: n(12_000, 20_000),
    rekeyed: n(2_000, 5_000),
    docs: n(30, 60),
    events: n(5_000, 10_000),
    ledger: n(2_000, 4_000),
  }
}

/**
 * An index on ledger's `a` for every other seed (by the parity of its size, so the seeds' draws are
 * those they always were): the apply narrows a REPLICA IDENTITY FULL run by an indexed column
 * (full-run-sql.ts, `= ANY` through the index) and scans a table without one; the loop runs both.
 */
const ledgerIndex = (sizes: TortureSizes): string =>
  sizes.ledger % 2 === 0 ? 'CREATE INDEX ledger_a_idx ON ledger (a);' : ''

/** A text of about 19 KB that compresses badly, distinct per (`id`, `salt`). */
const bigText = (id: string, salt: string): string =>
  `(SELECT string_agg(md5(${id}::text || ':' || ${salt}::text || ':' || x), '') FROM generate_series(1, 600) x)`

/** DDL and data of the source database. */
export function tortureSchema(sizes: TortureSizes): string {
  return `
CREATE SEQUENCE tick_seq;
CREATE TABLE accounts (id bigserial PRIMARY KEY, owner text NOT NULL, balance numeric(14,2) NOT NULL, note text);
CREATE INDEX accounts_owner_idx ON accounts (owner);
CREATE TABLE rekeyed (k int PRIMARY KEY, v int NOT NULL, tag text);
CREATE TABLE docs (id int PRIMARY KEY, body text NOT NULL, rev int NOT NULL);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE events (id int NOT NULL, region text NOT NULL, v int, at timestamptz, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
CREATE TABLE events_ap PARTITION OF events FOR VALUES IN ('ap');
CREATE INDEX events_v_idx ON events (v);
CREATE TABLE ledger (a int, b text, c numeric);
ALTER TABLE ledger REPLICA IDENTITY FULL;
${ledgerIndex(sizes)}
INSERT INTO accounts (owner, balance, note)
  SELECT 'owner ' || (g % 997), g * 1.25, repeat(md5(g::text), 3) FROM generate_series(1, ${sizes.accounts}) g;
INSERT INTO rekeyed SELECT g, g * 3, 't' || g FROM generate_series(1, ${sizes.rekeyed}) g;
INSERT INTO docs SELECT g, ${bigText('g', `'init'`)}, 0 FROM generate_series(1, ${sizes.docs}) g;
INSERT INTO events SELECT g, (ARRAY['eu', 'us', 'ap'])[1 + g % 3], g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, ${sizes.events}) g;
-- duplicates on purpose: the apply must delete and update exactly one of identical rows
INSERT INTO ledger SELECT g % ${Math.max(1, Math.floor(sizes.ledger / 2))}, 'l' || (g % ${Math.max(1, Math.floor(sizes.ledger / 2))}), 0 FROM generate_series(1, ${sizes.ledger}) g;
SELECT nextval('tick_seq') FROM generate_series(1, 5);
`
}

/** A writer running seeded transactions on the source until stopped. */
export interface TortureWriter {
  /** Transactions committed so far. */
  steps(): number
  /** Resolve once `n` transactions are committed; rejects if the writer failed, or after `timeoutMs`. */
  waitFor(n: number, timeoutMs: number): Promise<void>
  /** Stop after the transaction in flight; rejects with the writer's failure, if any. */
  stop(): Promise<number>
  /** TRUNCATEs run, for the report. */
  truncates(): readonly string[]
}

/**
 * Start the writer. Every operation targets a row that exists (the next key at or above a random
 * point), so updates and deletes rarely miss; new keys come from counters above the seeded data.
 */
export function startTortureWriter(
  c: pg.Client,
  rnd: SeededRandom,
  sizes: TortureSizes,
  options: { truncate: boolean },
): TortureWriter {
  let nextRekey = sizes.rekeyed + 1_000_000
  let nextDoc = sizes.docs + 1
  let nextEvent = sizes.events + 1
  let i = 0
  let stopping = false
  let failure: unknown
  const truncated: string[] = []

  const one = async (): Promise<void> => {
    const op = rnd.int(0, 99)
    const r = rnd.next()
    if (op < 14) {
      await c.query(
        `INSERT INTO accounts (owner, balance, note) VALUES ($1, $2, repeat(md5($1), 2))`,
        [`w ${i}`, rnd.int(0, 100_000) / 100],
      )
    } else if (op < 24) {
      await c.query(
        `UPDATE accounts SET balance = balance + 1 WHERE id = (SELECT min(id) FROM accounts WHERE id >= $1)`,
        [Math.floor(r * sizes.accounts)],
      )
    } else if (op < 28) {
      await c.query(
        `DELETE FROM accounts WHERE id = (SELECT min(id) FROM accounts WHERE id >= $1)`,
        [Math.floor(r * sizes.accounts)],
      )
    } else if (op < 36) {
      // a key change: the old key must go, the new one appear, once
      await c.query(
        `UPDATE rekeyed SET k = $2, v = v + 1 WHERE k = (SELECT min(k) FROM rekeyed WHERE k >= $1)`,
        [Math.floor(r * sizes.rekeyed), nextRekey++],
      )
    } else if (op < 40) {
      await c.query(`INSERT INTO rekeyed VALUES ($1, $2, 'new')`, [nextRekey++, i])
    } else if (op < 43) {
      await c.query(`DELETE FROM rekeyed WHERE k = (SELECT min(k) FROM rekeyed WHERE k >= $1)`, [
        Math.floor(r * sizes.rekeyed),
      ])
    } else if (op < 52) {
      // the big column is not in the UPDATE: it travels as unchanged TOAST
      await c.query(
        `UPDATE docs SET rev = rev + 1 WHERE id = (SELECT min(id) FROM docs WHERE id >= $1)`,
        [Math.floor(r * sizes.docs)],
      )
    } else if (op < 54) {
      // unchanged TOAST under a key change
      await c.query(
        `UPDATE docs SET id = $2, rev = rev + 1 WHERE id = (SELECT min(id) FROM docs WHERE id >= $1)`,
        [Math.floor(r * sizes.docs), 100_000 + nextDoc++],
      )
    } else if (op < 55) {
      await c.query(
        `UPDATE docs SET body = ${bigText('id', '$2')} WHERE id = (SELECT min(id) FROM docs WHERE id >= $1)`,
        [Math.floor(r * sizes.docs), i],
      )
    } else if (op < 56) {
      await c.query(`INSERT INTO docs VALUES ($1, ${bigText('$1::int', `'w'`)}, 0)`, [
        200_000 + nextDoc++,
      ])
    } else if (op < 64) {
      await c.query(`INSERT INTO events VALUES ($1, $2, $3, now())`, [
        nextEvent++,
        rnd.pick(REGIONS),
        i,
      ])
    } else if (op < 72) {
      // a partition move: DELETE from one leaf, INSERT into another, in the source's WAL
      await c.query(
        `UPDATE events SET region = $2, v = coalesce(v, 0) + 1
          WHERE (id, region) = (SELECT id, region FROM events WHERE id >= $1 ORDER BY id LIMIT 1)`,
        [Math.floor(r * sizes.events), rnd.pick(REGIONS)],
      )
    } else if (op < 76) {
      await c.query(
        `UPDATE events SET v = v - 1 WHERE (id, region) = (SELECT id, region FROM events WHERE id >= $1 ORDER BY id LIMIT 1)`,
        [Math.floor(r * sizes.events)],
      )
    } else if (op < 79) {
      await c.query(
        `DELETE FROM events WHERE (id, region) = (SELECT id, region FROM events WHERE id >= $1 ORDER BY id LIMIT 1)`,
        [Math.floor(r * sizes.events)],
      )
    } else if (op < 86) {
      const a = Math.floor(r * (sizes.ledger / 2))
      await c.query(`INSERT INTO ledger VALUES ($1, 'l' || $1::int, $2)`, [a, i % 3])
    } else if (op < 92) {
      await c.query(
        `UPDATE ledger SET c = c + 1 WHERE ctid = (SELECT ctid FROM ledger WHERE a >= $1 ORDER BY a LIMIT 1)`,
        [Math.floor(r * (sizes.ledger / 2))],
      )
    } else if (op < 96) {
      await c.query(
        `DELETE FROM ledger WHERE ctid = (SELECT ctid FROM ledger WHERE a >= $1 ORDER BY a LIMIT 1)`,
        [Math.floor(r * (sizes.ledger / 2))],
      )
    } else {
      await c.query(`SELECT nextval('tick_seq')`)
    }
  }

  const step = async (): Promise<void> => {
    if (rnd.chance(0.003) && options.truncate) {
      const t = rnd.pick(TRUNCATED)
      truncated.push(`${t}@${i}`)
      await c.query(`TRUNCATE ${t}`)
      return
    }
    // one to four operations per source transaction: tables written together must arrive together
    const ops = rnd.int(1, 4)
    if (ops === 1) return one()
    await c.query('BEGIN')
    try {
      for (let k = 0; k < ops; k++) await one()
      await c.query('COMMIT')
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  }

  const loop = (async () => {
    while (!stopping) {
      await step()
      i++
      // paced, so two cores still run source, target and pgferry
      await new Promise((res) => setTimeout(res, 3))
    }
  })().catch((error: unknown) => {
    // the source application's own statement failed: pgferry must never cause that
    failure = new Error(
      `the writer (the source application) failed at step ${i}: ${error instanceof Error ? error.message : String(error)}`,
    )
  })

  return {
    steps: () => i,
    truncates: () => truncated,
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (i < n) {
        if (failure !== undefined) throw failure
        if (stopping) throw new Error('the writer was stopped')
        if (Date.now() > deadline)
          throw new Error(`the writer did not reach ${n} steps within ${timeoutMs} ms (at ${i})`)
        await new Promise((res) => setTimeout(res, 20))
      }
    },
    async stop() {
      stopping = true
      await loop
      if (failure !== undefined) throw failure
      return i
    },
  }
}
