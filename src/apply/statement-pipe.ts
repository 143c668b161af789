/**
 * At most one set-based statement in flight on the apply connection while the writer builds the
 * next run (issue 11).
 *
 * Measured on a 200k-row bulk transaction (PG 16 → 16, target log at log_min_duration_statement=0):
 * the target was busy 1.6 s of the 3.8 s it took to apply 100 INSERT runs, and 4.0 s of 7.2 s for
 * 100 UPDATE runs; the rest were gaps between one statement's end and the next one's start, in which
 * Node decoded, held and packed the next 2,000 rows while the server waited. With one statement left
 * in flight, that work overlaps the server's.
 *
 * A unit sent here must queue all of its queries before its first `await` (an async function whose
 * first statements are the `client.query` calls): `pg` sends queued queries in order, so any query
 * queued on the connection after `send` returns (a ROLLBACK, a COMMIT after `settle`) runs after
 * the whole unit, never between its statements. A unit with a decision between its statements (a
 * savepoint and a row-by-row replay) runs awaited instead.
 *
 * The unit's outcome (the server's error, or a row count that shows a missing row) is thrown by the
 * next `settle`, which every later write, `flush` and the next `send` start with.
 */
export class StatementPipe {
  #inflight: Promise<void> | undefined

  /** Wait for the unit in flight; throws its error. */
  async settle(): Promise<void> {
    const p = this.#inflight
    if (p === undefined) return
    this.#inflight = undefined
    await p
  }

  /** Start `unit` once the one in flight has settled, and return without waiting for it. */
  async send(unit: () => Promise<void>): Promise<void> {
    await this.settle()
    const p = unit()
    // its error is thrown by the next settle; until then it must not count as unhandled
    p.catch(() => undefined)
    this.#inflight = p
  }

  /** The transaction was rolled back: the unit's outcome no longer matters. */
  drop(): void {
    this.#inflight = undefined
  }
}
