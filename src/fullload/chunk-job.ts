/**
 * One chunk's copy as a self-contained unit of work: everything it needs is passed in, and what it
 * did comes back as a typed result. It owns no shared counters, so whoever runs it (today the
 * load's scheduler, later a queue of jobs: issue 15) decides how results are summed.
 */
import type { StageContext } from '../model/stage.js'
import { runChunk } from './chunk-retry.js'
import type { LanePool } from './copy-lanes.js'
import type { CopyJob } from './copy-pipe.js'
import type { HeldSnapshot } from './snapshot.js'
import type { Throttle } from './throttle.js'

/**
 * A `chunk:progress` event (done: false) per this many bytes of a chunk in flight: small enough
 * that a progress bar moves through one chunk of a few tens of MiB (issue 14), large enough that
 * the events cost nothing beside the copy (one per 4 MiB is 250/s at 1 GB/s).
 */
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024

/** What one chunk's copy needs. */
export interface ChunkJobInput {
  readonly ctx: StageContext
  readonly lanes: LanePool
  readonly throttle: Throttle
  readonly snapshot: HeldSnapshot
  /** The source database, for events. */
  readonly database: string
  /** `schema.name` on the source, for events and errors. */
  readonly table: string
  readonly job: CopyJob
  /** Called with the chunk's COPY bytes relayed so far, as each in-flight event is emitted. */
  readonly onProgress?: (relayed: number) => void
}

/** What one chunk's copy did; it committed (with its target ledger row) before this returns. */
export interface ChunkJobResult {
  readonly relOid: number
  readonly rows: number
  readonly bytes: number
}

/** Copy one chunk (with retries: chunk-retry.ts), emitting its `chunk:progress` events. */
export class ChunkJob {
  readonly #input: ChunkJobInput

  constructor(input: ChunkJobInput) {
    this.#input = input
  }

  /** `index+1/count`, as events name a chunk. */
  get name(): string {
    const { chunk } = this.#input.job
    return `${chunk.index + 1}/${chunk.count}`
  }

  async run(): Promise<ChunkJobResult> {
    const { ctx, lanes, throttle, snapshot, table, job } = this.#input
    ctx.signal.throwIfAborted()
    const out = await runChunk(ctx, lanes, job, throttle, snapshot, table, this.#onBytes())
    this.#emit(out.rows, out.bytes, true)
    return { relOid: job.relOid, rows: out.rows, bytes: out.bytes }
  }

  /** In-flight progress of a long chunk: bytes so far (rows are known when it commits). */
  #onBytes(): (n: number) => void {
    let sent = 0
    let reported = 0
    return (n) => {
      sent += n
      if (sent - reported < PROGRESS_EVERY_BYTES) return
      reported = sent
      this.#emit(0, sent, false)
      this.#input.onProgress?.(sent)
    }
  }

  #emit(rows: number, bytes: number, done: boolean): void {
    const { ctx, database, table } = this.#input
    ctx.emit('chunk:progress', {
      taskId: ctx.taskId,
      database,
      table,
      chunk: this.name,
      rows,
      bytes,
      done,
    })
  }
}
