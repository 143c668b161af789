/**
 * The session settings under which both servers print a row the same way, so that equal values
 * hash equal across majors 12–18 and whatever the databases' or roles' defaults are:
 *
 * - `extra_float_digits = 3`: from v12 any value > 0 prints the shortest text that reads back
 *   exactly (Ryu), so a float prints the same on every supported major; `-0` and `NaN` keep their
 *   own text.
 * - `DateStyle`, `IntervalStyle`, `TimeZone`: dates, intervals and timestamptz print by these.
 * - `bytea_output = hex`: `escape` would print the same bytes differently.
 * - `lc_monetary = C`: `money` prints with the locale's symbol and separators.
 * - `search_path`: `regclass`, `regtype` … print a name unqualified only when it is visible.
 */
import type pg from 'pg'

const SETTINGS = [
  `SET extra_float_digits = 3`,
  `SET DateStyle = 'ISO, YMD'`,
  `SET IntervalStyle = 'postgres'`,
  `SET TimeZone = 'UTC'`,
  `SET bytea_output = 'hex'`,
  `SET lc_monetary = 'C'`,
  `SET search_path = public`,
  // a long chunk must not be cut by a role's timeout; the check only reads
  `SET statement_timeout = 0`,
  // no parallel workers: each lane is already one backend per side, and a parallel scan under
  // the per-range grouping ships every row's hash through the Gather to the leader (measured: +40 %
  // CPU per table alone, and the verify of bench:verify:profile's data slower, not faster)
  `SET max_parallel_workers_per_gather = 0`,
].join('; ')

/** Put `client` in the canonical session; returns its backend's pid (to cancel its statements). */
export async function canonicalSession(client: pg.Client): Promise<number> {
  await client.query(SETTINGS)
  const r = await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)
  return r.rows[0]?.pid ?? 0
}
