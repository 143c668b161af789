/**
 * Cancelling the statements a stage's connections are running once its signal aborts.
 *
 * An abort alone stops a stage only between statements: a statement blocked on a lock (a `CREATE
 * DATABASE` behind a held catalog lock, an apply behind a user's `LOCK TABLE`) or scanning a large
 * table runs on, and the stage with it, so Ctrl-C would not end the process. On abort, every
 * connection that is running a statement has it cancelled (`pg_cancel_backend`, from a connection of
 * its own: the busy one cannot send anything), and the statement fails with 57014, which the stage
 * runner reports as the abort it is. The cancel is sent again, at growing intervals, for as long as
 * the same statement is still running: a cancel that reaches the server before the backend has
 * read the statement is ignored, as is one sent to a backend between statements. A statement the
 * stage starts after the abort (a cleanup) is not cancelled by the repeats.
 */
import type pg from 'pg'
import type { Side } from '../model/stage.js'

/** Cancel the statements of the backends `pids` on `side`'s server. */
export type CancelBackends = (side: Side, pids: readonly number[]) => Promise<void>

/** First interval between two cancels of a statement still running; it doubles up to the max. */
const CANCEL_FIRST_MS = 100
const CANCEL_MAX_MS = 2_000

/**
 * The statement `client` is running or waiting for, if any. pg keeps it as the client's active
 * query; a pg without that accessor counts every client as busy (a cancel of an idle backend is
 * ignored by the server).
 */
function runningStatement(client: pg.Client): unknown {
  const c = client as unknown as { _getActiveQuery?: () => unknown; _ending?: boolean }
  if (c._ending === true) return null
  return typeof c._getActiveQuery === 'function' ? c._getActiveQuery() : client
}

/** The backend pid of a connected client, as the server sent it at login. */
export function backendPid(client: pg.Client): number | undefined {
  const pid = (client as unknown as { processID?: unknown }).processID
  return typeof pid === 'number' && pid > 0 ? pid : undefined
}

/**
 * Watches `signal` for the connections added to it; on abort, cancels what they run (see the file
 * comment). `close()` stops watching and stops the repeats.
 */
export class StatementCanceller {
  readonly #clients = new Map<pg.Client, Side>()
  readonly #signal: AbortSignal
  readonly #cancel: CancelBackends
  #closed = false
  #timer: NodeJS.Timeout | undefined

  constructor(signal: AbortSignal, cancel: CancelBackends) {
    this.#signal = signal
    this.#cancel = cancel
    if (!signal.aborted) signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Watch `client` of `side` until it ends (or `close()`). */
  add(client: pg.Client, side: Side): void {
    if (this.#closed) return
    this.#clients.set(client, side)
    client.once('end', () => this.#clients.delete(client))
  }

  /** Stop watching: no cancel is sent any more. Idempotent. */
  close(): void {
    this.#closed = true
    this.#signal.removeEventListener('abort', this.#onAbort)
    clearTimeout(this.#timer)
    this.#clients.clear()
  }

  readonly #onAbort = (): void => {
    // the statements running now; each is cancelled until it is no longer the one running
    const running = new Map<pg.Client, unknown>()
    for (const client of this.#clients.keys()) {
      const statement = runningStatement(client)
      if (statement !== null && statement !== undefined) running.set(client, statement)
    }
    this.#round(running, CANCEL_FIRST_MS)
  }

  #round(running: Map<pg.Client, unknown>, nextMs: number): void {
    for (const [client, statement] of running) {
      if (!this.#clients.has(client) || runningStatement(client) !== statement)
        running.delete(client)
    }
    if (this.#closed || running.size === 0) return
    const bySide = new Map<Side, number[]>()
    for (const client of running.keys()) {
      const pid = backendPid(client)
      const side = this.#clients.get(client)
      if (pid === undefined || side === undefined) continue
      bySide.set(side, [...(bySide.get(side) ?? []), pid])
    }
    void Promise.all(
      [...bySide].map(([side, pids]) => this.#cancel(side, pids).catch(() => undefined)),
    ).then(() => {
      if (this.#closed) return
      this.#timer = setTimeout(
        () => this.#round(running, Math.min(nextMs * 2, CANCEL_MAX_MS)),
        nextMs,
      )
      this.#timer.unref()
    })
  }
}

/** `pg_cancel_backend` of `pids` on a connection `connect` opens for it, closed after. */
export async function cancelBackends(
  connect: () => Promise<pg.Client>,
  pids: readonly number[],
): Promise<void> {
  if (pids.length === 0) return
  const c = await connect()
  try {
    await c.query(`SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid`, [pids])
  } finally {
    await c.end().catch(() => undefined)
  }
}
