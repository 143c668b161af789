/**
 * A set-based run that sets a column of an immediate unique (or exclusion) index (RunSender): tried
 * under a savepoint, and replayed row by row in the source's order when the set-based statement
 * meets a violation that another order of its rows may have caused.
 */
import type pg from 'pg'
import type { ChangeRun } from './change-run.js'
import type { StatementParam } from '../pg/text-array.js'
import { applyFailed } from './write-errors.js'

/** SQLSTATEs of a violated unique index and exclusion constraint. */
const UNIQUE_VIOLATION = '23505'
const EXCLUSION_VIOLATION = '23P01'

/** One statement of a run over `values`; `raw`: let the server's error through unwrapped. */
export type Once = (values: readonly StatementParam[], raw: boolean) => Promise<number>

/**
 * A run that sets a column of an immediate unique (or exclusion) index. A set-based statement
 * changes the rows in the join's order, not the run's: when a value changes hands within the run
 * (a swap, or keys shifted by one, done on the source in the one order the index allows) another
 * order fails. The set-based statement (`once`) is tried under a savepoint; on a unique or
 * exclusion violation the run is replayed row by row in the source's order, which either
 * succeeds as on the source or fails on a row that really conflicts (a diverged target).
 */
export async function guardedAwaited(
  client: pg.Client,
  run: ChangeRun,
  what: string,
  once: Once,
  reset: (() => void) | undefined,
): Promise<number> {
  await client.query('SAVEPOINT pgferry_run')
  let found: number
  try {
    found = await once(run.columns, true)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== UNIQUE_VIOLATION && code !== EXCLUSION_VIOLATION) {
      throw applyFailed(run.plan.label, what, error)
    }
    await client.query('ROLLBACK TO SAVEPOINT pgferry_run')
    found = 0
    reset?.()
    for (const values of rowByRow(run)) found += await once(values, false)
  }
  await client.query('RELEASE SAVEPOINT pgferry_run')
  return found
}

/**
 * `guardedAwaited` as a unit of the pipe (statement-pipe.ts), so that a key-changing UPDATE run no
 * longer makes the writer wait on each statement (issue 11): the unit runs while the writer builds
 * the next run, and every other query on the connection settles the pipe first, so nothing runs
 * between its statements. Each statement is sent only once the one before it has answered (pg
 * deprecates queuing a query behind another), and only while `live()`: a transaction dropped for
 * a ROLLBACK (`RunSender.drop`) stops the unit before it queues anything more, which would
 * otherwise run after that ROLLBACK.
 */
export async function guardedUnit(
  client: pg.Client,
  run: ChangeRun,
  once: Once,
  live: () => boolean,
): Promise<number> {
  const query = async (sql: string): Promise<void> => {
    if (!live()) throw applyFailed(run.plan.label, 'UPDATE', new Error('rolled back'))
    await client.query(sql)
  }
  await query('SAVEPOINT pgferry_run')
  if (!live()) throw applyFailed(run.plan.label, 'UPDATE', new Error('rolled back'))
  let found: number
  try {
    found = await once(run.columns, true)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== UNIQUE_VIOLATION && code !== EXCLUSION_VIOLATION)
      throw applyFailed(run.plan.label, 'UPDATE', error)
    await query('ROLLBACK TO SAVEPOINT pgferry_run')
    found = 0
    for (const values of rowByRow(run)) {
      if (!live()) throw applyFailed(run.plan.label, 'UPDATE', error)
      found += await once(values, false)
    }
  }
  await query('RELEASE SAVEPOINT pgferry_run')
  return found
}

/** A run's rows one at a time, in the source's order, as one-element columns. */
function* rowByRow(run: ChangeRun): Generator<(string | null)[][]> {
  const width = run.columns.length
  for (let r = 0; r < run.rows; r++) {
    const values: (string | null)[][] = new Array<(string | null)[]>(width)
    for (let c = 0; c < width; c++) values[c] = [(run.columns[c] as (string | null)[])[r] ?? null]
    yield values
  }
}
