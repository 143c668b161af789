/**
 * Which chunk a free lane copies next: the first waiting chunk (the plan's largest-first order)
 * of a table no lane is copying, else the first waiting chunk. Two COPYs into one table contend
 * for its relation extension lock and for WAL writes: measured on the 1.5 GB bench (PostgreSQL
 * 15, 2 cores), 256 MiB chunks copied two at a time into the same table spent 7.7 s in
 * Lock:extend and 9.7 s in LWLock:WALWrite of 62.8 COPY session-seconds; whole tables copied side
 * by side spent 0 and 1.3 s of 45.1. Chunks of one table still run together when nothing else is
 * left, so the split keeps balancing the lanes at the end.
 */
export class ChunkScheduler {
  #free: number
  readonly #waiting: { table: number; start: () => void }[] = []
  readonly #running = new Map<number, number>()
  #drainQueued = false

  constructor(slots: number) {
    this.#free = Math.max(1, slots)
  }

  /** Run `fn` in a lane slot when the scheduler picks it; `table` is its table's oid. */
  async run<T>(table: number, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.#waiting.push({ table, start: resolve })
      // Chunks are queued in one synchronous loop: choose once all of them are there.
      if (!this.#drainQueued) {
        this.#drainQueued = true
        queueMicrotask(() => {
          this.#drainQueued = false
          this.#drain()
        })
      }
    })
    try {
      return await fn()
    } finally {
      this.#free++
      const n = (this.#running.get(table) ?? 1) - 1
      if (n === 0) this.#running.delete(table)
      else this.#running.set(table, n)
      this.#drain()
    }
  }

  #drain(): void {
    while (this.#free > 0 && this.#waiting.length > 0) {
      let i = this.#waiting.findIndex((w) => !this.#running.has(w.table))
      if (i < 0) i = 0
      const [w] = this.#waiting.splice(i, 1)
      if (w === undefined) return
      this.#free--
      this.#running.set(w.table, (this.#running.get(w.table) ?? 0) + 1)
      w.start()
    }
  }
}
