/** The tables of bench:incremental, the same in each replicated source database. */
import type { Cluster } from '../../test/harness/cluster.js'
import { pgbench } from '../lib/pgbench.js'

/**
 * `t_full` has no key but a plain index on id: PostgreSQL 16+ subscribers use such an index for
 * REPLICA IDENTITY FULL lookups, and without one every row of a bulk UPDATE/DELETE would scan the
 * table on either side (quadratic at a million rows).
 */
export const BENCH_TABLES = `
CREATE TABLE t_pk (id int PRIMARY KEY, a int NOT NULL, b text, c timestamptz);
CREATE TABLE t_full (id int NOT NULL, a int NOT NULL, b text, c timestamptz);
CREATE INDEX t_full_id ON t_full (id);
ALTER TABLE t_full REPLICA IDENTITY FULL;
CREATE TABLE small (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int NOT NULL);
CREATE TABLE hb (id int PRIMARY KEY, ts timestamptz NOT NULL);
`

/** A source database with the bench tables, the heartbeat row and (if `scale`) pgbench's tables. */
export async function createSourceDb(
  source: Cluster,
  db: string,
  scale: number | undefined,
): Promise<void> {
  await source.query(`CREATE DATABASE ${db}`)
  await source.query(BENCH_TABLES, [], db)
  await source.query(`INSERT INTO hb VALUES (1, clock_timestamp())`, [], db)
  if (scale !== undefined) {
    await pgbench(source, db, ['-i', '-q', '-s', String(scale)])
    // pgbench_history has no key; TPC-B only inserts into it, FULL makes it publishable for all.
    await source.query(`ALTER TABLE pgbench_history REPLICA IDENTITY FULL`, [], db)
  }
}

/** The empty tables a native subscription needs on the target (it copies no schema). */
export async function createNativeTargetDb(
  target: Cluster,
  db: string,
  scale: number | undefined,
): Promise<void> {
  await target.query(`CREATE DATABASE ${db}`)
  await target.query(BENCH_TABLES, [], db)
  if (scale !== undefined) await pgbench(target, db, ['-i', '-q', '-I', 'dtp', '-s', String(scale)])
}
