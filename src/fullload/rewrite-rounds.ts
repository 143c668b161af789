/**
 * A load round ends when a table was truncated or rewritten on the source under its snapshot
 * (copy-pipe.ts): its copy would miss rows. The next round is a resume, so the finished tables are
 * kept and the others are copied under a new snapshot, with a sync LSN past the rewrite where a
 * stream follows.
 *
 * How many rounds: as many as the source's rewrites need, but a table rewritten again and again
 * (a job that truncates it faster than it is copied) must end the load with a clear error, not
 * loop. So the limit is per table: an application that truncates several tables now and then
 * during a long load (one table a round) still gets its load, where a fixed number of rounds gave
 * up (found by the torture loop, 12 → 17: three tables truncated in three rounds).
 */
import { PgferryError } from '../errors.js'

/** Times one table may be found rewritten in one load before it gives up. */
export const REWRITES_PER_TABLE = 3

/** Table rewritten under the load's snapshot; `table` is its qualified, quoted name. */
export class TableRewrittenError extends PgferryError {
  readonly table: string
  constructor(table: string) {
    super(
      'PGFERRY_FULLLOAD_TABLE_REWRITTEN',
      `table ${table} was truncated or rewritten on the source after the load's snapshot was taken: its copy under that snapshot would miss rows`,
      {
        fix: 'run the full load again: the table is copied again under a new snapshot (the load does this itself a few times before it gives up)',
      },
    )
    this.table = table
  }
}

/** Run `load` again after each rewrite, until it succeeds or one table was rewritten too often. */
export async function loadRewrittenAgain<T>(
  load: () => Promise<T>,
  onRewrite: (error: TableRewrittenError) => void,
  signal: AbortSignal,
): Promise<T> {
  const rewrites = new Map<string, number>()
  for (;;) {
    try {
      return await load()
    } catch (error) {
      if (!(error instanceof TableRewrittenError)) throw error
      const n = (rewrites.get(error.table) ?? 0) + 1
      rewrites.set(error.table, n)
      if (n >= REWRITES_PER_TABLE) {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_TABLE_REWRITTEN',
          `table ${error.table} was truncated or rewritten on the source ${n} times while the load copied it; each copy would miss rows`,
          {
            cause: error,
            fix: `pause what truncates or rewrites ${error.table} on the source (a TRUNCATE, VACUUM FULL, CLUSTER or ALTER TABLE that rewrites it) until the full load has copied it, then run the full load again (finished tables are kept); or leave ${error.table} out of the task`,
          },
        )
      }
      signal.throwIfAborted()
      onRewrite(error)
    }
  }
}
