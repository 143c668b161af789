/**
 * Task-level progress of the full load: percentage and ETA from the source sizes of the tables
 * (pg_total_relation_size), counting a chunk as its share of its table. The ETA uses the rate of
 * this run only, so a resumed load does not look faster than it is.
 *
 * A chunk in flight counts too (issue 14: the bar sat at 1 % through one large chunk, then jumped
 * to 100 %): its COPY bytes relayed so far, against its share of the table's size, capped below the
 * share because COPY bytes and on-disk bytes are not the same measure (the chunk counts in full
 * only when it commits). After the data, the post-data steps (indexes, keys, triggers) are counted
 * apart: the ETA of the copy says nothing of them, so there is none while only they remain.
 */
import type { StageContext } from '../model/stage.js'

/** At most this part of a chunk's share counts while it is in flight. */
const IN_FLIGHT_CAP = 0.95

/** Emits `load:progress`. */
export class LoadTracker {
  readonly #ctx: StageContext
  readonly #tablesTotal: number
  readonly #bytesTotal: number
  readonly #inFlight = new Map<string, number>()
  #tablesDone = 0
  #bytesDone = 0
  #bytesAtStart = 0
  #stepsDone = 0
  #stepsTotal = 0
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

  /**
   * Chunk `id`, worth `share` bytes of its table's size, has relayed `relayed` COPY bytes. Never
   * moves back (a retried chunk starts its bytes again).
   */
  chunkCopying(id: string, relayed: number, share: number): void {
    const counted = Math.min(relayed, share * IN_FLIGHT_CAP)
    if (counted <= (this.#inFlight.get(id) ?? 0)) return
    this.#inFlight.set(id, counted)
    this.#emit()
  }

  /** Chunk `id`, worth `share` bytes, landed; `tableDone` when it was its table's last one. */
  chunkDone(id: string, share: number, tableDone: boolean): void {
    this.#inFlight.delete(id)
    this.#bytesDone += share
    if (tableDone) this.#tablesDone++
    this.#emit()
  }

  /** A database's post-data plan: `total` steps, `done` of them by an earlier run. */
  postDataPlanned(total: number, done: number): void {
    this.#stepsTotal += total
    this.#stepsDone += done
  }

  /** One post-data step finished. */
  postDataStepDone(): void {
    this.#stepsDone++
    this.#emit()
  }

  #emit(): void {
    let inFlight = 0
    for (const b of this.#inFlight.values()) inFlight += b
    const done = this.#bytesDone + inFlight
    const copied = done - this.#bytesAtStart
    const elapsed = (Date.now() - this.#started) / 1000
    const left = Math.max(0, this.#bytesTotal - done)
    const copying = this.#tablesDone < this.#tablesTotal
    this.#ctx.emit('load:progress', {
      taskId: this.#ctx.taskId,
      tablesDone: this.#tablesDone,
      tablesTotal: this.#tablesTotal,
      bytesDone: Math.round(done),
      bytesTotal: this.#bytesTotal,
      percent: this.#bytesTotal === 0 ? 100 : Math.min(100, (100 * done) / this.#bytesTotal),
      etaSeconds: copying && copied > 0 && elapsed > 0 ? left / (copied / elapsed) : undefined,
      postDataDone: this.#stepsDone,
      postDataTotal: this.#stepsTotal,
    })
  }
}
