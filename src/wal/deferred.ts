/**
 * Settled from outside, for the stream's start and end (replication-stream.ts): a Deferred, a
 * promise whose rejection is marked handled (whoever awaits it still sees it, nobody else gets an
 * unhandled one), and a callback on an AbortSignal.
 */
export interface Deferred {
  readonly promise: Promise<void>
  resolve(): void
  reject(error: unknown): void
}

/** A new pending Deferred. */
export function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

/** Call `stop` once `signal` aborts, at once when it already has. */
export function onAbort(signal: AbortSignal, stop: () => void): void {
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })
}
