/**
 * Task-level progress of the full load: percentage and ETA from the source sizes of the tables
 * (pg_total_relation_size), counting a chunk as its share of its table. The ETA uses the rate of
 * this run only, so a resumed load does not look faster than it is.
 */
import type { StageContext } from '../model/stage.js'

/** Emits `load:progress`. */
export class LoadTracker {
  readonly #ctx: StageContext
  readonly #tablesTotal: number
  readonly #bytesTotal: number
  #tablesDone = 0
  #bytesDone = 0
  #bytesAtStart = 0
  readonly #started = Date.now()

  constructor(ctx: StageContext, tablesTotal: number, bytesTotal: number) {
    this.#ctx = ctx
    this.#tablesTotal = tablesTotal
    this.#bytesTotal = bytesTotal
  }

  /** A table finished by an earlier run. */
  skipped(bytes: number): void {
    this.#tablesDone++
    this.#bytesDone += bytes
    this.#bytesAtStart += bytes
  }

  /** A chunk worth `bytes` of its table's size landed; `tableDone` when it was the last one. */
  chunkDone(bytes: number, tableDone: boolean): void {
    this.#bytesDone += bytes
    if (tableDone) this.#tablesDone++
    const copied = this.#bytesDone - this.#bytesAtStart
    const elapsed = (Date.now() - this.#started) / 1000
    const left = Math.max(0, this.#bytesTotal - this.#bytesDone)
    this.#ctx.emit('load:progress', {
      taskId: this.#ctx.taskId,
      tablesDone: this.#tablesDone,
      tablesTotal: this.#tablesTotal,
      bytesDone: Math.round(this.#bytesDone),
      bytesTotal: this.#bytesTotal,
      percent:
        this.#bytesTotal === 0 ? 100 : Math.min(100, (100 * this.#bytesDone) / this.#bytesTotal),
      etaSeconds: copied > 0 && elapsed > 0 ? left / (copied / elapsed) : undefined,
    })
  }
}
