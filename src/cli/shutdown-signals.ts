/**
 * SIGINT and SIGTERM as an AbortSignal: the first one aborts (the task pauses or the sync stops,
 * cleanly); a second one exits at once.
 */
import { EXIT } from './exit-codes.js'

/** Listens for SIGINT/SIGTERM until disposed. */
export class ShutdownSignals {
  readonly #controller = new AbortController()
  readonly #onSignal = (name: NodeJS.Signals): void => {
    if (this.#controller.signal.aborted) process.exit(EXIT.INTERRUPTED)
    this.#controller.abort(new Error(`received ${name}`))
  }

  constructor() {
    process.on('SIGINT', this.#onSignal)
    process.on('SIGTERM', this.#onSignal)
  }

  /** Aborted on the first signal. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Resolves on the first signal. */
  received(): Promise<void> {
    const signal = this.#controller.signal
    if (signal.aborted) return Promise.resolve()
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    )
  }

  /** Stop listening (Node's default handling returns). */
  dispose(): void {
    process.off('SIGINT', this.#onSignal)
    process.off('SIGTERM', this.#onSignal)
  }
}
