/**
 * One table's copy across its chunks: sums the chunk results it is given and says when the last
 * one landed. Only this object changes its counters; chunks report to it through `chunkDone`.
 */
import type { StageContext } from '../model/stage.js'
import type { ChunkJobResult } from './chunk-job.js'
import type { LoadedTable } from './load-progress.js'
import type { CopyUnit } from './plan-jobs.js'

/** A table's chunks' running totals. */
export class TableCopy {
  readonly unit: CopyUnit
  readonly chunks: number
  #rows = 0
  #bytes = 0
  #done = 0
  #started = 0

  constructor(unit: CopyUnit, chunks: number) {
    this.unit = unit
    this.chunks = chunks
  }

  get rows(): number {
    return this.#rows
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Chunks that landed. */
  get chunksDone(): number {
    return this.#done
  }

  get complete(): boolean {
    return this.#done === this.chunks
  }

  /** A chunk of it starts: the first one emits `table:start`. */
  chunkStarting(ctx: StageContext, database: string): void {
    if (this.#started !== 0) return
    this.#started = Date.now()
    ctx.emit('table:start', {
      taskId: ctx.taskId,
      database,
      table: this.unit.key,
      chunks: this.chunks,
    })
  }

  /** A chunk landed. Returns whether it was the table's last. */
  chunkDone(result: ChunkJobResult): boolean {
    this.#rows += result.rows
    this.#bytes += result.bytes
    this.#done++
    return this.complete
  }

  /** Emit `table:copied`, once its last chunk landed. */
  emitCopied(ctx: StageContext, database: string): void {
    ctx.emit('table:copied', {
      taskId: ctx.taskId,
      database,
      table: this.unit.key,
      rows: this.#rows,
      bytes: this.#bytes,
      durationMs: Date.now() - this.#started,
    })
  }

  /** The store's record of the copied table. */
  loaded(database: string, syncLsn: string | undefined): LoadedTable {
    const { rel } = this.unit
    return {
      sourceDatabase: database,
      oid: rel.oid,
      schema: rel.schema,
      name: rel.name,
      targetSchema: rel.targetSchema,
      rows: this.#rows,
      bytes: this.#bytes,
      syncLsn: syncLsn ?? null,
    }
  }
}
