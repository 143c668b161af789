/**
 * The one serial queue of work on an apply connection (issues 11, 12): each message's work, and
 * the idle commit that a quiet stream needs so it does not sit on rows. Every piece of work starts
 * only after all work queued before it has settled, so the idle commit runs only between messages
 * (a message being handled finishes first), and messages that arrive while it runs wait for it.
 * `quiesce` waits for exactly what was queued, however it was queued.
 */

/** What the idle commit asks of its apply. */
export interface IdleCommit {
  /** No source transaction is open, the target's is, and the apply is not stopping. */
  ready(): boolean
  /** The apply has failed already. */
  failed(): boolean
  /** Commit the open target transaction. */
  commit(): Promise<void>
  /** Follow the commit's work (the eager apply's `watch`). */
  watch(work: Promise<void>): Promise<void>
  fail(error: unknown): void
}

/** The serial work of one apply connection. */
export class ApplyQueue {
  readonly #idleCommitMs: number
  readonly #idle: IdleCommit
  #idleTimer: NodeJS.Timeout | undefined
  /** Settles (never rejects) when the last work queued has settled. */
  #tail: Promise<void> = Promise.resolve()
  /** Work queued and not settled yet. */
  #pending = 0

  constructor(idleCommitMs: number, idle: IdleCommit) {
    this.#idleCommitMs = idleCommitMs
    this.#idle = idle
  }

  /**
   * Queue `work` behind everything queued before it; returns its outcome, or undefined when it ran
   * at once and returned none (a change the merger only holds: the stream reads on without a
   * pause, issue 11: many small transactions are a few messages each).
   */
  run(work: () => Promise<void> | undefined): Promise<void> | undefined {
    if (this.#pending === 0) {
      let p: Promise<void> | undefined
      try {
        p = work()
      } catch (error) {
        p = Promise.reject(error)
      }
      return p === undefined ? undefined : this.#track(p)
    }
    return this.#track(this.#tail.then(work))
  }

  /** Commit soon when no further source transaction comes. */
  armIdle(): void {
    if (this.#idleTimer !== undefined) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      if (!this.#idle.ready() || this.#idle.failed()) return
      // its failure is the apply's, not a message's: the stream never sees this promise
      void this.run(() =>
        this.#idle.ready() && !this.#idle.failed()
          ? this.#idle.watch(this.#idle.commit())
          : undefined,
      )?.catch((error: unknown) => this.#idle.fail(error))
    }, this.#idleCommitMs)
  }

  clearIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
  }

  /**
   * Wait until no queued work is left, including work queued while waiting (a failed message's
   * error is the stream's to report).
   */
  async quiesce(): Promise<void> {
    while (this.#pending > 0) await this.#tail
  }

  #track(p: Promise<void>): Promise<void> {
    this.#pending++
    // registered before the caller's own reaction, so the count is down when the caller goes on
    const settled = (): void => {
      this.#pending--
    }
    this.#tail = p.then(settled, settled)
    return p
  }
}
