/**
 * The receive timeout of a replication connection, after PostgreSQL's own apply worker
 * (`wal_receiver_timeout`, worker.c LogicalRepApplyLoop). A connection that goes silent without
 * closing (a NAT entry dropped, a network black hole, a host gone: no FIN, no RST) is otherwise
 * waited on forever, since the socket reports nothing. A live walsender is never silent for long:
 * it sends a keepalive every `wal_sender_timeout / 2` when idle, and answers at once a status
 * update that requests a reply. So at half the timeout the watchdog asks for a reply, and once the
 * full timeout has passed with nothing received it declares the connection dead.
 *
 * Robust on a busy machine, where timers fire late:
 * - time while the consumer holds the socket paused does not count (nothing is read then, however
 *   live the server), as PostgreSQL's worker does not count the time it spends applying;
 * - the connection is declared dead only half a timeout after the reply was asked for, so a ping
 *   sent late still gets its full chance;
 * - the last check runs after one more poll phase (`setImmediate`), so bytes that arrived while
 *   the event loop was busy are read before the verdict.
 */

/** PostgreSQL's default `wal_receiver_timeout`. */
export const DEFAULT_RECEIVE_TIMEOUT_MS = 60_000

/** The check interval at most: PostgreSQL's worker wakes every second (NAPTIME_PER_CYCLE). */
const MAX_TICK_MS = 1000

/** What the watchdog acts on. */
export interface ReceiveWatchdogHooks {
  /** Ask the server for a reply (a standby status update with replyRequested). */
  ping(): void
  /** Nothing arrived within the timeout: end the connection. Called at most once. */
  expire(): void
  /** True while the consumer holds reading paused. */
  paused(): boolean
}

/** Declares a replication connection dead when nothing arrives within `timeoutMs`. */
export class ReceiveWatchdog {
  readonly #timeoutMs: number
  readonly #hooks: ReceiveWatchdogHooks
  #last = 0
  #pingedAt: number | undefined
  #timer: NodeJS.Timeout | undefined
  #verdict: NodeJS.Immediate | undefined
  #expired = false

  /** `timeoutMs` 0 (or less) disables the watchdog. */
  constructor(timeoutMs: number, hooks: ReceiveWatchdogHooks) {
    this.#timeoutMs = timeoutMs
    this.#hooks = hooks
  }

  /** Start the clock (idempotent). */
  start(): void {
    if (this.#timeoutMs <= 0 || this.#timer !== undefined || this.#expired) return
    this.received()
    this.#timer = setInterval(
      () => this.#tick(),
      Math.max(10, Math.min(MAX_TICK_MS, this.#timeoutMs / 4)),
    )
    this.#timer.unref()
  }

  /** Bytes arrived from the server: the connection is alive. */
  received(): void {
    this.#last = Date.now()
    this.#pingedAt = undefined
  }

  /** Stop for good; clears every timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    if (this.#verdict !== undefined) clearImmediate(this.#verdict)
    this.#timer = undefined
    this.#verdict = undefined
  }

  #tick(): void {
    if (this.#hooks.paused()) {
      // the consumer is busy and nothing is read: the server's silence is not measured
      this.received()
      return
    }
    const now = Date.now()
    const silent = now - this.#last
    if (this.#pingedAt === undefined) {
      if (silent >= this.#timeoutMs / 2) {
        this.#pingedAt = now
        this.#hooks.ping()
      }
      return
    }
    if (this.#verdict === undefined && this.#dead(now)) {
      this.#verdict = setImmediate(() => {
        this.#verdict = undefined
        if (this.#timer === undefined || this.#hooks.paused() || !this.#dead(Date.now())) return
        this.#expired = true
        this.stop()
        this.#hooks.expire()
      })
    }
  }

  #dead(now: number): boolean {
    return (
      this.#pingedAt !== undefined &&
      now - this.#last >= this.#timeoutMs &&
      now - this.#pingedAt >= this.#timeoutMs / 2
    )
  }
}
