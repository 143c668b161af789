/**
 * A cap on the source read rate, shared by every COPY worker (the load must be
 * throttleable and must not starve the source). A virtual-clock pacer: each chunk of COPY bytes
 * books its share of time; when the booking runs ahead of the wall clock the stream waits, and
 * backpressure stops the source COPY. Rows per second are converted per table from its average
 * row size, since the pipe does not parse rows.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { ThrottleConfig } from '../model/task-config.js'

/** A small burst allowance so short pauses do not cost a timer each. */
const SLACK_MS = 50

class Pacer {
  #next = 0
  constructor(readonly rate: number) {}
  /** Milliseconds to wait before `units` more may pass. */
  book(units: number): number {
    const now = performance.now()
    this.#next = Math.max(this.#next, now - SLACK_MS) + (units / this.rate) * 1000
    return Math.max(0, this.#next - now - SLACK_MS)
  }
}

/** The shared throttle of a load. */
export class Throttle {
  readonly #bytes: Pacer | undefined
  readonly #rows: Pacer | undefined

  constructor(config: Readonly<ThrottleConfig> | undefined) {
    this.#bytes =
      config?.bytesPerSecond === undefined ? undefined : new Pacer(config.bytesPerSecond)
    this.#rows = config?.rowsPerSecond === undefined ? undefined : new Pacer(config.rowsPerSecond)
  }

  get active(): boolean {
    return this.#bytes !== undefined || this.#rows !== undefined
  }

  /** Milliseconds to wait after `bytes` of a table whose rows average `bytesPerRow`. */
  delay(bytes: number, bytesPerRow: number): number {
    let ms = this.#bytes?.book(bytes) ?? 0
    if (this.#rows !== undefined)
      ms = Math.max(ms, this.#rows.book(bytes / Math.max(1, bytesPerRow)))
    return ms
  }
}

/**
 * The pass-through stage of the COPY pipe: counts bytes, reports them, applies the throttle.
 * Chunks pass untouched (no copy, no parse).
 */
export class Meter extends Transform {
  bytes = 0
  readonly #throttle: Throttle
  readonly #bytesPerRow: number
  readonly #onBytes: ((bytes: number) => void) | undefined

  constructor(throttle: Throttle, bytesPerRow: number, onBytes?: (bytes: number) => void) {
    super({ highWaterMark: 1 << 16 })
    this.#throttle = throttle
    this.#bytesPerRow = bytesPerRow
    this.#onBytes = onBytes
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    this.#onBytes?.(chunk.length)
    if (!this.#throttle.active) return cb(null, chunk)
    const ms = this.#throttle.delay(chunk.length, this.#bytesPerRow)
    if (ms <= 0) return cb(null, chunk)
    setTimeout(() => cb(null, chunk), ms)
  }
}
