/**
 * Set-based apply of every change kind (issue 11), 16 → 16: DELETEs by a one-column and a
 * two-column key, UPDATEs that change the key (shifted keys, swaps through a spare key, a row moved
 * twice, unchanged TOAST beside the key), and DELETEs and UPDATEs of a REPLICA IDENTITY FULL table
 * (identical rows, NULLs, json without equality, a row changed twice, unchanged TOAST), also through
 * a btree index of the target (never a scan of the whole table per run). Each case
 * checks the target's rows against the source's by SQL, and counts the statements that reached the
 * target table with a statement trigger (ENABLE ALWAYS, so it fires under the apply's
 * session_replication_role = replica): thousands of rows must take a handful of statements, not one
 * each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'
import { caughtUp } from '../harness/caught-up.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/**
 * Count, on the target, the statements of each kind that touch `tables` (probe.count): INSERT,
 * UPDATE, DELETE, or COPY for the rows a COPY inserted (its statement trigger fires as INSERT's).
 */
async function countStatements(db: string, tables: readonly string[]): Promise<void> {
  await pair.target.query(
    `CREATE SCHEMA probe;
     CREATE TABLE probe.statements (tbl text, op text);
     CREATE FUNCTION probe.count() RETURNS trigger LANGUAGE plpgsql AS
       $$BEGIN INSERT INTO probe.statements VALUES (TG_TABLE_NAME,
           CASE WHEN current_query() LIKE 'COPY %' THEN 'COPY' ELSE TG_OP END); RETURN NULL; END$$;`,
    [],
    db,
  )
  for (const t of tables) {
    await pair.target.query(
      `CREATE TRIGGER count_${t} AFTER INSERT OR UPDATE OR DELETE ON ${t}
         FOR EACH STATEMENT EXECUTE FUNCTION probe.count();
       ALTER TABLE ${t} ENABLE ALWAYS TRIGGER count_${t}`,
      [],
      db,
    )
  }
}

/** Statements counted since the last call, by `table:OP`; the count starts again. */
async function takeStatements(db: string): Promise<Record<string, number>> {
  const r = await pair.target.query<{ k: string; n: number }>(
    `WITH d AS (DELETE FROM probe.statements RETURNING tbl || ':' || op AS k)
     SELECT k, count(*)::int AS n FROM d GROUP BY k`,
    [],
    db,
  )
  return Object.fromEntries(r.rows.map((x) => [x.k, x.n]))
}

describe('set-based apply (16 → 16)', () => {
  it('DELETEs by a one- and a two-column key and key-changing UPDATEs go set-based, in the source order where keys repeat', async () => {
    const db = await pair.source.createDatabase('setkeys')
    await pair.source.query(
      `CREATE TABLE k1 (id int PRIMARY KEY, v text);
       CREATE TABLE k2 (a int, b text, v text, PRIMARY KEY (a, b));
       CREATE TABLE kt (id int PRIMARY KEY, big text, v int);
       CREATE TABLE ka (id int[] PRIMARY KEY, v text);
       INSERT INTO ka SELECT ARRAY[g, g + 1], 'v' || g FROM generate_series(1, 100) g;
       ALTER TABLE kt ALTER big SET STORAGE EXTERNAL;
       INSERT INTO k1 SELECT g, 'v' || g FROM generate_series(1, 6000) g;
       INSERT INTO k2 SELECT g / 3, 'b' || (g % 3), 'v' || g FROM generate_series(1, 6000) g;
       INSERT INTO kt SELECT g, repeat(md5(g::text), 100), g FROM generate_series(1, 50) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['k1', 'k2', 'kt', 'ka'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      const same = async (): Promise<void> => {
        await caughtUp(sync, pair.source)
        for (const t of ['k1', 'k2', 'kt', 'ka'])
          expect(await tableDigest(pair.target, db, t), t).toBe(
            await tableDigest(pair.source, db, t),
          )
      }
      // an array key: ANY over an array of arrays would compare the key with their elements
      await c.query(`DELETE FROM k1 WHERE id % 2 = 0; DELETE FROM k2 WHERE a % 2 = 0;
                     DELETE FROM ka WHERE id[1] % 2 = 0`)
      await same()
      // 3,000 rows of each: one statement per run of 2,000, not one per row
      const deletes = await takeStatements(db)
      expect(deletes['k1:DELETE']).toBeLessThanOrEqual(4)
      expect(deletes['k2:DELETE']).toBeLessThanOrEqual(4)

      // every key moves to a free one
      await c.query(`UPDATE k1 SET id = id + 100000; UPDATE k2 SET a = a + 100000, v = v || '.'`)
      await same()
      const moves = await takeStatements(db)
      expect(moves['k1:UPDATE']).toBeLessThanOrEqual(4)
      expect(moves['k2:UPDATE']).toBeLessThanOrEqual(4)

      // keys shifted up, each into the key the row above it freed (the only order the primary key
      // allows); a swap through a spare key; a row moved twice; a row moved and moved back
      await c.query(`BEGIN;
        UPDATE k1 SET id = -5 WHERE id = 101001;
        DO $$ BEGIN
          FOR i IN REVERSE 100999..100001 BY 2 LOOP
            UPDATE k1 SET id = i + 2 WHERE id = i;
          END LOOP;
        END $$;
        UPDATE k1 SET id = -1 WHERE id = 101003;
        UPDATE k1 SET id = 101003 WHERE id = 101005;
        UPDATE k1 SET id = 101005 WHERE id = -1;
        UPDATE k1 SET id = 7 WHERE id = 101007;
        UPDATE k1 SET id = 9 WHERE id = 7;
        UPDATE k1 SET id = 1 WHERE id = 101011;
        UPDATE k1 SET id = 101011 WHERE id = 1;
        UPDATE k2 SET b = 'x' || b WHERE a = 100001;
        UPDATE k2 SET b = substr(b, 2) WHERE a = 100001;
        COMMIT`)
      await same()
      const shifted = await pair.target.query<{ id: number; v: string }>(
        `SELECT id, v FROM k1 WHERE id IN (-5, 9, 100001, 100003, 101001, 101003, 101005, 101011)
          ORDER BY id`,
        [],
        db,
      )
      expect(shifted.rows).toEqual([
        { id: -5, v: 'v1001' },
        { id: 9, v: 'v1007' },
        { id: 100003, v: 'v1' },
        { id: 101001, v: 'v999' },
        { id: 101003, v: 'v1005' },
        { id: 101005, v: 'v1003' },
        { id: 101011, v: 'v1011' },
      ])

      // the key changes and a TOASTed column is not sent (unchanged): it must stay as it was
      await c.query(`UPDATE kt SET id = id + 1000, v = v + 1`)
      await c.query(`UPDATE kt SET id = id - 1000 WHERE id % 2 = 0`)
      await same()
      const big = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM kt WHERE big = repeat(md5((id % 1000)::text), 100)`,
        [],
        db,
      )
      expect(big.rows[0]?.n).toBe(50)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('key-changing UPDATE runs where a UNIQUE value changes hands within the run, and key chains in the order the key allows, arrive as on the source (a hash plan on the target)', async () => {
    const db = await pair.source.createDatabase('keychains')
    await pair.source.query(
      `CREATE TABLE kq (id int PRIMARY KEY, u int NOT NULL UNIQUE, v text);
       INSERT INTO kq SELECT g, g, 'v' || g FROM generate_series(1, 3000) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    // the join of a run with the table no longer follows the run's order
    await pair.target.query(`ALTER DATABASE "${db}" SET enable_nestloop = off`)
    await countStatements(db, ['kq'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // one run of one shape (id and u set): row b gives up u = b, then row a takes it; applied
      // a first, the set-based statement meets the UNIQUE index and the run goes row by row
      let pairs = ''
      for (let a = 1; a < 400; a += 2) {
        const b = a + 1
        pairs += `UPDATE kq SET id = id + 10000, u = -u WHERE id = ${b};
                  UPDATE kq SET id = id + 10000, u = ${b} WHERE id = ${a};`
      }
      await c.query(`BEGIN; ${pairs} COMMIT`)
      await caughtUp(sync, pair.source)
      expect(await tableDigest(pair.target, db, 'kq')).toBe(
        await tableDigest(pair.source, db, 'kq'),
      )
      await takeStatements(db)
      // a chain: each row into the key the row before it freed (b → a, then c → b, …), the only
      // order the primary key allows; and a move of every other row to a free key, set-based
      await c.query(`BEGIN;
        DELETE FROM kq WHERE id = 2000;
        UPDATE kq SET id = id - 1 WHERE id BETWEEN 2001 AND 2300;
        UPDATE kq SET id = id + 100000, v = v || '.' WHERE id BETWEEN 401 AND 1999;
        COMMIT`)
      await caughtUp(sync, pair.source)
      expect(await tableDigest(pair.target, db, 'kq')).toBe(
        await tableDigest(pair.source, db, 'kq'),
      )
      const moved = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM kq WHERE id BETWEEN 100401 AND 101999 AND v LIKE '%.'`,
        [],
        db,
      )
      expect(moved.rows[0]?.n).toBe(1599)
      const chain = await pair.target.query<{ id: number; v: string }>(
        `SELECT id, v FROM kq WHERE id IN (2000, 2299, 2300) ORDER BY id`,
        [],
        db,
      )
      expect(chain.rows).toEqual([
        { id: 2000, v: 'v2001' },
        { id: 2299, v: 'v2300' },
      ])
      // the 1,599 moves to free keys: a statement per run of 2,000, not one per row
      const statements = await takeStatements(db)
      expect(statements['kq:UPDATE']).toBeLessThan(300 + 20)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('INSERT runs go by COPY: tabs, newlines, backslashes, \\N as text, empty strings, NULLs, bytea, json, arrays, an ALWAYS identity and a generated column arrive as on the source; a table with a rule on the target is written by INSERT, which applies the rule', async () => {
    const db = await pair.source.createDatabase('setcopy')
    await pair.source.query(
      `CREATE TABLE ck (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, t text, b bytea, j jsonb,
                        a text[], n numeric, g int GENERATED ALWAYS AS (length(t)) STORED);
       CREATE TABLE cf (t text, v int);
       ALTER TABLE cf REPLICA IDENTITY FULL;
       CREATE TABLE cr (id int PRIMARY KEY, t text);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['ck', 'cf', 'cr'])
    // ENABLE ALWAYS: the rule applies under the apply's session_replication_role = replica
    await pair.target.query(
      `CREATE TABLE rule_log (id int);
       CREATE RULE cr_log AS ON INSERT TO cr DO ALSO INSERT INTO rule_log VALUES (NEW.id);
       ALTER TABLE cr ENABLE ALWAYS RULE cr_log;`,
      [],
      db,
    )
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // every value COPY's text format escapes, and values that look like its escapes
      await c.query(`BEGIN;
        INSERT INTO ck (t, b, j, a, n)
          SELECT CASE g % 8 WHEN 0 THEN E'tab\\there' WHEN 1 THEN E'new\\nline\\r\\n'
                            WHEN 2 THEN E'back\\\\slash \\\\N' WHEN 3 THEN '\\N' WHEN 4 THEN ''
                            WHEN 5 THEN NULL WHEN 6 THEN E'\\\\.' ELSE 'plain ' || g END,
                 CASE WHEN g % 3 = 0 THEN NULL ELSE decode(md5(g::text) || '5c0a09', 'hex') END,
                 jsonb_build_object('s', E'q"\\\\\\n\\t' || g, 'n', g),
                 ARRAY[E'x\\ty', NULL, '\\N', g::text],
                 g / 7.0
            FROM generate_series(1, 3000) g;
        INSERT INTO cf SELECT CASE WHEN g % 5 = 0 THEN NULL ELSE E'f\\t' || (g % 10) END, g % 3
          FROM generate_series(1, 3000) g;
        INSERT INTO cr SELECT g, E'r\\n' || g FROM generate_series(1, 3000) g;
        COMMIT`)
      await caughtUp(sync, pair.source)
      for (const t of ['ck', 'cf', 'cr'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
      const statements = await takeStatements(db)
      expect(statements['ck:COPY']).toBeGreaterThan(0)
      expect(statements['ck:INSERT']).toBeUndefined()
      expect(statements['cf:COPY']).toBeGreaterThan(0)
      expect(statements['cr:COPY']).toBeUndefined()
      expect(statements['cr:INSERT']).toBeGreaterThan(0)
      const log = await pair.target.query<{ n: number }>(
        `SELECT count(DISTINCT id)::int AS n FROM rule_log`,
        [],
        db,
      )
      expect(log.rows[0]?.n).toBe(3000)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('DELETEs and UPDATEs of a REPLICA IDENTITY FULL table go set-based: identical rows count as many, NULLs, json, a row changed twice, unchanged TOAST', async () => {
    const db = await pair.source.createDatabase('setfull')
    // three identical copies of each row (g, g + 1000, g + 2000); b NULL on every seventh; json has
    // no equality operator; big is stored out of line on some rows
    await pair.source.query(
      `CREATE TABLE f (a int, b text, j json, big text);
       ALTER TABLE f REPLICA IDENTITY FULL;
       ALTER TABLE f ALTER big SET STORAGE EXTERNAL;
       INSERT INTO f SELECT g % 1000, CASE WHEN g % 7 <> 0 THEN 'b' || (g % 1000) END,
                            json_build_object('k', g % 1000),
                            CASE WHEN g % 1000 BETWEEN 900 AND 909 THEN repeat(md5((g % 1000)::text), 100) END
                       FROM generate_series(1, 3000) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['f'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      const same = async (): Promise<void> => {
        await caughtUp(sync, pair.source)
        expect(await tableDigest(pair.target, db, 'f')).toBe(
          await tableDigest(pair.source, db, 'f'),
        )
      }
      // two of the three identical copies of 300 rows: each image deleted twice deletes two rows
      await c.query(
        `DELETE FROM f WHERE a < 300 AND ctid NOT IN (SELECT max(ctid) FROM f WHERE a < 300 GROUP BY a)`,
      )
      await same()
      expect((await takeStatements(db))['f:DELETE']).toBeLessThanOrEqual(2)

      // identical rows updated alike, NULLs and json in the images
      await c.query(`UPDATE f SET b = coalesce(b, 'was null') || '.' WHERE a BETWEEN 300 AND 599`)
      await same()
      expect((await takeStatements(db))['f:UPDATE']).toBeLessThanOrEqual(2)

      // one of three identical rows changed twice in one transaction, then back; rows with NULLs
      // deleted; unchanged TOAST (big not sent) beside a changed column
      await c.query(`BEGIN;
        UPDATE f SET a = -600 WHERE ctid = (SELECT min(ctid) FROM f WHERE a = 600);
        UPDATE f SET a = 1600 WHERE a = -600;
        UPDATE f SET a = 600 WHERE a = 1600;
        UPDATE f SET a = a + 5000 WHERE big IS NOT NULL;
        DELETE FROM f WHERE b IS NULL AND a BETWEEN 700 AND 799;
        COMMIT`)
      await same()
      const big = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM f WHERE big = repeat(md5((a - 5000)::text), 100)`,
        [],
        db,
      )
      expect(big.rows[0]?.n).toBe(30)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('REPLICA IDENTITY FULL runs find their rows through a btree index of the target: duplicates and NULLs in the indexed column, numeric 1.0 vs 1.00, unchanged TOAST, the indexed column changed', async () => {
    const db = await pair.source.createDatabase('setfullidx')
    // fi: three identical copies of most rows, id NULL on every eleventh, big out of line on some;
    // fn: numerics equal as numbers (1.0, 1.00, 1) but not as the text the source sends, three each;
    // filler rows no change touches, so that a scan of the whole table is the planner's worse choice
    await pair.source.query(
      `CREATE TABLE fi (id int, b text, big text);
       ALTER TABLE fi REPLICA IDENTITY FULL;
       ALTER TABLE fi ALTER big SET STORAGE EXTERNAL;
       CREATE INDEX fi_id ON fi (id);
       INSERT INTO fi SELECT CASE WHEN g % 11 <> 0 THEN g % 1000 END, 'b' || (g % 1000),
                             CASE WHEN g % 1000 BETWEEN 900 AND 909 THEN repeat(md5((g % 1000)::text), 100) END
                        FROM generate_series(1, 3000) g;
       INSERT INTO fi SELECT g, 'filler', NULL FROM generate_series(100000, 199999) g;
       CREATE TABLE fn (n numeric, v text);
       ALTER TABLE fn REPLICA IDENTITY FULL;
       CREATE INDEX fn_n ON fn (n);
       INSERT INTO fn SELECT n::numeric, 'v' FROM unnest(ARRAY['1.0', '1.00', '1', '2.5', '2.50', NULL]) n,
                                                  generate_series(1, 3);
       INSERT INTO fn SELECT g, 'filler' FROM generate_series(100, 9999) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    type Counts = { seq: number; idx: number; ins: number; changed: number }
    const counts = async (t: string): Promise<Counts> => {
      const r = await pair.target.query<Counts>(
        `SELECT seq_scan::int AS seq, coalesce(idx_scan, 0)::int AS idx, n_tup_ins::int AS ins,
                (n_tup_upd + n_tup_del)::int AS changed
           FROM pg_stat_user_tables WHERE relname = $1`,
        [t],
        db,
      )
      return r.rows[0] as Counts
    }
    // the full load's own statistics reported, then counted afresh from here
    await eventually(
      async () => (await counts('fi')).ins === 103_000 && (await counts('fn')).ins === 9918,
      60_000,
    )
    await pair.target.query(
      `SELECT pg_stat_reset_single_table_counters('fi'::regclass), pg_stat_reset_single_table_counters('fn'::regclass)`,
      [],
      db,
    )
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      let changed = 0
      const run = async (sql: string): Promise<void> => {
        changed += (await c.query(sql)).rowCount ?? 0
      }
      // two of three identical copies (duplicates in the indexed column)
      await run(
        `DELETE FROM fi WHERE id < 300 AND ctid NOT IN (SELECT max(ctid) FROM fi WHERE id < 300 GROUP BY id)`,
      )
      // NULLs in the indexed column among the images
      await run(`UPDATE fi SET b = b || '.' WHERE id BETWEEN 300 AND 599 OR id IS NULL`)
      // the indexed column changed, unchanged TOAST (big not sent) beside it
      await run(`UPDATE fi SET id = id + 5000 WHERE big IS NOT NULL AND id IS NOT NULL`)
      await run(`UPDATE fi SET id = id + 1 WHERE id BETWEEN 600 AND 699`)
      // typed-equal but text-unequal rows pass the index and are left by the text match
      await run(`UPDATE fn SET v = 'w' WHERE n::text = '1.0'`)
      await run(`DELETE FROM fn WHERE n::text = '2.5' OR n IS NULL`)
      await caughtUp(sync, pair.source)
      // read before any digest, which scans the tables itself
      let fi: Counts | undefined
      let fn: Counts | undefined
      await eventually(async () => {
        fi = await counts('fi')
        fn = await counts('fn')
        return fi.changed + fn.changed === changed
      }, 60_000)
      expect(fi?.seq).toBe(0)
      expect(fn?.seq).toBe(0)
      expect(fi?.idx).toBeGreaterThan(0)
      expect(fn?.idx).toBeGreaterThan(0)
      for (const t of ['fi', 'fn'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
      const big = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM fi WHERE big = repeat(md5((id - 5000)::text), 100)`,
        [],
        db,
      )
      expect(big.rows[0]?.n).toBe(27)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('REPLICA IDENTITY FULL runs match int, text, uuid, date, bool, bytea and varchar by their type where the run has no NULL there, the text rule elsewhere (NULLs, a C-collated text, timestamptz): identical rows, a row changed twice in one run, the indexed column changed', async () => {
    const db = await pair.source.createDatabase('setfulltyped')
    // three identical copies of 200 rows; NULLs only in the rows with k >= 150, so runs over
    // k < 150 match every typed column by its type, and runs reaching k >= 150 fall back to text
    await pair.source.query(
      `CREATE TABLE ft (i int, t text, u uuid, d date, bo bool, by bytea, ci text COLLATE "C",
                        v varchar(20), ts timestamptz);
       ALTER TABLE ft REPLICA IDENTITY FULL;
       CREATE INDEX ft_i ON ft (i);
       INSERT INTO ft SELECT k, 't' || k, md5(k::text)::uuid, date '2026-01-01' + k, k % 2 = 0,
                             decode(md5(k::text), 'hex'), CASE WHEN k % 2 = 0 THEN 'A' ELSE 'a' END || k,
                             'v' || k, timestamptz '2026-03-29 00:30:00+00' + k * interval '1 minute'
                        FROM generate_series(0, 599) g, LATERAL (SELECT g % 200 AS k) x;
       UPDATE ft SET t = NULL, u = NULL, by = NULL WHERE i >= 150 AND i % 3 = 0;
       UPDATE ft SET d = NULL, bo = NULL, v = NULL WHERE i >= 150 AND i % 3 = 1;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['ft'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      const same = async (): Promise<void> => {
        await caughtUp(sync, pair.source)
        expect(await tableDigest(pair.target, db, 'ft')).toBe(
          await tableDigest(pair.source, db, 'ft'),
        )
      }
      // two of three identical copies, no NULL in the run: every typed column by its type
      await c.query(
        `DELETE FROM ft WHERE i < 100 AND ctid NOT IN (SELECT max(ctid) FROM ft WHERE i < 100 GROUP BY i)`,
      )
      await same()
      expect((await takeStatements(db))['ft:DELETE']).toBeLessThanOrEqual(2)
      // identical rows updated alike, with and without NULLs in the run
      await c.query(`UPDATE ft SET ci = ci || '.' WHERE i BETWEEN 100 AND 199`)
      await same()
      expect((await takeStatements(db))['ft:UPDATE']).toBeLessThanOrEqual(2)
      // a row changed twice in one transaction (its second old image is the first's new one), the
      // indexed column changed, and one of three identical rows deleted
      await c.query(`BEGIN;
        UPDATE ft SET t = 'x' WHERE i = 10;
        UPDATE ft SET t = 'y', i = -10 WHERE t = 'x';
        UPDATE ft SET i = i + 1000 WHERE i BETWEEN 50 AND 99;
        DELETE FROM ft WHERE ctid = (SELECT min(ctid) FROM ft WHERE i = 120);
        COMMIT`)
      await same()
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('an indexed REPLICA IDENTITY FULL column whose equality is looser than its text (float -0 and NaN, numeric NaN and scale, timestamptz across a DST change) narrows the run but the text decides', async () => {
    const db = await pair.source.createDatabase('setfullidxtypes')
    // each value twice, beside values equal to it by the type's = but printed otherwise
    await pair.source.query(
      `SET TimeZone = 'America/New_York';
       CREATE TABLE tf8 (f float8, v int);
       CREATE TABLE tnum (n numeric, v int);
       CREATE TABLE tts (ts timestamptz, v int);
       CREATE INDEX ON tf8 (f); CREATE INDEX ON tnum (n); CREATE INDEX ON tts (ts);
       ALTER TABLE tf8 REPLICA IDENTITY FULL; ALTER TABLE tnum REPLICA IDENTITY FULL;
       ALTER TABLE tts REPLICA IDENTITY FULL;
       INSERT INTO tf8 SELECT f::float8, 0 FROM unnest(ARRAY['0', '-0', 'NaN', 'Infinity', '-Infinity', '1.5', NULL]) f,
                                                  generate_series(1, 2);
       INSERT INTO tnum SELECT n::numeric, 0 FROM unnest(ARRAY['NaN', '2', '2.0', '2.000', '-0.0', '0', NULL]) n,
                                                   generate_series(1, 2);
       INSERT INTO tts SELECT ts::timestamptz, 0
                         FROM unnest(ARRAY['2026-11-01 01:30:00-04', '2026-11-01 01:30:00-05',
                                           '2026-11-01 05:30:00+00', 'infinity', NULL]) ts,
                              generate_series(1, 2);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // one of each pair changed, by its text: the other stays, equal or not
      for (const [t, col] of [
        ['tf8', 'f'],
        ['tnum', 'n'],
        ['tts', 'ts'],
      ] as const) {
        await c.query(
          `UPDATE ${t} SET v = v + 1 WHERE ctid IN (SELECT min(ctid) FROM ${t} GROUP BY ${col}::text)`,
        )
        await c.query(
          `DELETE FROM ${t} WHERE ctid IN (SELECT max(ctid) FROM ${t} WHERE v = 0 AND ${col}::text NOT LIKE '%1%' GROUP BY ${col}::text)`,
        )
      }
      await caughtUp(sync, pair.source)
      for (const t of ['tf8', 'tnum', 'tts'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a REPLICA IDENTITY FULL run that moves UNIQUE values up one by one is replayed row by row in the source order', async () => {
    const db = await pair.source.createDatabase('setfullunique')
    await pair.source.query(
      `CREATE TABLE fu (a int, u int UNIQUE, v text);
       ALTER TABLE fu REPLICA IDENTITY FULL;
       INSERT INTO fu SELECT g, g, 'v' || g FROM generate_series(1, 500) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['fu'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // each u into the value the row above it freed: only this order passes the UNIQUE index
      await c.query(`DO $$ BEGIN
          FOR i IN REVERSE 500..1 LOOP
            UPDATE fu SET u = u + 1 WHERE u = i;
          END LOOP;
        END $$`)
      await caughtUp(sync, pair.source)
      expect(await tableDigest(pair.target, db, 'fu')).toBe(
        await tableDigest(pair.source, db, 'fu'),
      )
      // the set-based statement failed and was rolled back; the run went row by row
      const statements = await takeStatements(db)
      expect(statements['fu:UPDATE']).toBe(500)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('runs and held merges are bounded by bytes, not only by rows: 300 rows of 20 kB (a keyed table applied while it streams, a FULL one replayed at commit) leave in several statements each, and arrive as on the source (issue 11)', async () => {
    const db = await pair.source.createDatabase('setwide')
    await pair.source.query(
      `CREATE TABLE w (id int PRIMARY KEY, big text, v int);
       CREATE TABLE wf (big text, v int);
       ALTER TABLE wf REPLICA IDENTITY FULL;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    await countStatements(db, ['w', 'wf'])
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // 6 MB each (hex that does not compress: the walsender counts TOAST as stored), past the
      // walsender's 4 MB: streamed; w's applied while it streams, wf's (REPLICA IDENTITY FULL)
      // replayed from the spool at its commit
      const WIDE = `(SELECT string_agg(md5(g::text || '-' || i), '') FROM generate_series(1, 640) i)`
      await c.query(`INSERT INTO w SELECT g, ${WIDE}, g FROM generate_series(1, 300) g`)
      await c.query(`INSERT INTO wf SELECT ${WIDE}, g FROM generate_series(1, 300) g`)
      await caughtUp(sync, pair.source)
      for (const t of ['w', 'wf'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
      const inserts = await takeStatements(db)
      // by rows alone each would be one statement (2,000 rows a run); by bytes, ~100 rows a run
      expect(inserts['w:COPY']).toBeGreaterThanOrEqual(3)
      expect(inserts['wf:COPY']).toBeGreaterThanOrEqual(3)
      await c.query(`UPDATE w SET big = big || 'x'`)
      await c.query(`UPDATE wf SET v = v + 1`)
      await caughtUp(sync, pair.source)
      for (const t of ['w', 'wf'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
      const updates = await takeStatements(db)
      expect(updates['w:UPDATE']).toBeGreaterThanOrEqual(3)
      expect(updates['wf:UPDATE']).toBeGreaterThanOrEqual(3)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a set-based DELETE or UPDATE that does not find every row, or an INSERT run (COPY) that meets a row of its key, stops the sync: the target diverged, and nothing of the transaction is applied', async () => {
    // table, key, what is changed on the target behind the task, the source's change, rows the
    // failed transaction would have changed, how many of them the target holds, the error's words
    const cases = [
      [
        'dk',
        'id int PRIMARY KEY',
        'DELETE FROM dk WHERE id = 50',
        'DELETE FROM dk',
        'true',
        99,
        'is not on the target',
      ],
      [
        'df',
        'id int',
        'DELETE FROM df WHERE id = 50',
        `UPDATE df SET v = v || '.'`,
        `v NOT LIKE '%.'`,
        99,
        'is not on the target',
      ],
      [
        'ik',
        'id int PRIMARY KEY',
        `INSERT INTO ik VALUES (250, 'behind')`,
        `INSERT INTO ik SELECT g, 'n' || g FROM generate_series(101, 400) g`,
        'id > 100',
        1,
        'is on the target but not on the source',
      ],
    ] as const
    for (const [table, key, behind, change, untouched, left, words] of cases) {
      const db = await pair.source.createDatabase(`setmissing_${table}`)
      await pair.source.query(
        `CREATE TABLE ${table} (${key}, v text);
         ALTER TABLE ${table} REPLICA IDENTITY ${table === 'df' ? 'FULL' : 'DEFAULT'};
         INSERT INTO ${table} SELECT g, 'v' || g FROM generate_series(1, 100) g;`,
        [],
        db,
      )
      const task = await loadedTask(pair, db)
      // changed behind the task
      await pair.target.query(behind, [], db)
      try {
        const sync = await task.startIncremental()
        await pair.source.query(change, [], db)
        const error = (await sync.done.catch((e: unknown) => e)) as {
          code?: string
          message?: string
        }
        expect(error.code).toBe('PGFERRY_APPLY_FAILED')
        expect(error.message).toContain(words)
        const rows = await pair.target.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE ${untouched}`,
          [],
          db,
        )
        expect(rows.rows[0]?.n).toBe(left)
      } finally {
        await task.close()
      }
    }
  }, 180_000)
})
