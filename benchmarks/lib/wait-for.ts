/**
 * Poll the target by SQL until a condition holds. Benchmarks time "until the target shows it", so
 * the condition is read by a query on the target, never taken from pgferry's own report.
 */
import type pg from 'pg'

export interface WaitForOptions {
  /** Milliseconds between polls. Defaults to 25. */
  readonly intervalMs?: number
  /** Give up (throw) after this many milliseconds. Defaults to 30 minutes. */
  readonly timeoutMs?: number
}

/**
 * Resolve once `sql` returns a first row whose first column is true (or, for a number, ≥ `want`).
 * `client` is connected before the clock starts, so connecting is never inside a measurement.
 */
export async function waitFor(
  client: pg.Client,
  sql: string,
  params: unknown[] = [],
  options: WaitForOptions = {},
): Promise<void> {
  const interval = options.intervalMs ?? 25
  const deadline = Date.now() + (options.timeoutMs ?? 1_800_000)
  for (;;) {
    const r = await client.query<Record<string, unknown>>(sql, params)
    const row = r.rows[0]
    if (row !== undefined && Object.values(row)[0] === true) return
    if (Date.now() > deadline) throw new WaitTimeout(sql)
    await sleep(interval)
  }
}

/**
 * Wait for a cheap probe (an index lookup) and then for the exact condition: polling a count over a
 * million rows every 25 ms would take CPU from the apply on a 2-core machine, but the probe alone
 * could be true before the whole transaction is visible if an apply splits it.
 */
export async function waitForProbeThenExact(
  client: pg.Client,
  probe: string,
  exact: string,
  options: WaitForOptions = {},
): Promise<void> {
  await waitFor(client, probe, [], options)
  await waitFor(client, exact, [], { ...options, intervalMs: options.intervalMs ?? 25 })
}

/** The old `waitRows` of bench:apply: until `sql`'s `n` reaches `want`. */
export async function waitRows(client: pg.Client, sql: string, want: number): Promise<void> {
  await waitFor(client, `SELECT (${sql.replace(/;$/, '')}) >= $1::int AS ok`, [want], {
    intervalMs: 20,
    timeoutMs: 600_000,
  })
}

/** The condition did not hold within the wait's bound. */
export class WaitTimeout extends Error {
  constructor(readonly sql: string) {
    super(`target did not reach "${sql}" in time`)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
