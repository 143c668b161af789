/**
 * The work on one apply connection: each message's work, and the idle commit that a quiet stream
 * needs so it does not sit on rows. The idle commit runs only between messages (a message being
 * handled finishes first), and messages that arrive while it runs wait for it.
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
  #tail: Promise<void> | undefined
  #current: Promise<void> | undefined

  constructor(idleCommitMs: number, idle: IdleCommit) {
    this.#idleCommitMs = idleCommitMs
    this.#idle = idle
  }

  /** Run a message's work, after the idle commit in progress if any. */
  run(work: () => Promise<void> | undefined): Promise<void> | undefined {
    const tail = this.#tail
    let p: Promise<void> | undefined
    try {
      // a change the merger only holds returns no promise, so the stream reads on without a pause
      // (issue 11: many small transactions are a few messages each)
      p = tail === undefined ? work() : tail.then(work)
    } catch (error) {
      p = Promise.reject(error)
    }
    if (p === undefined) return undefined
    this.#current = p
    return p
  }

  /** Commit soon when no further source transaction comes. */
  armIdle(): void {
    if (this.#idleTimer !== undefined) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      if (!this.#idle.ready() || this.#idle.failed()) return
      // only between messages: a message being handled finishes first
      const run = async (): Promise<void> => {
        await this.#current
        if (!this.#idle.ready()) return
        await this.#idle.commit()
      }
      this.#tail = this.#idle
        .watch(run())
        .catch((error: unknown) => this.#idle.fail(error))
        .finally(() => {
          this.#tail = undefined
        })
    }, this.#idleCommitMs)
  }

  clearIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
  }

  /** Wait for the work in flight (a failed message's error is the stream's to report). */
  async quiesce(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.#current?.catch(() => undefined)
      await this.#tail
    }
  }
}
