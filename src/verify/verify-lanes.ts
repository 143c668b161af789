/**
 * A database's connection pairs: each lane is one source and one target connection in the
 * canonical session, so a chunk is hashed on both servers at the same time. Work waits for a free
 * lane (a FIFO of waiters), so chunks of every table share the lanes.
 *
 * An abort cancels what the lanes run: no lane is handed out any more, and the statements running
 * on lanes in use are cancelled on both servers (`pg_cancel_backend` from a connection of its own,
 * since the lane's own is busy), again until every lane is back, so a statement that a lane's work
 * started just after a cancel is cancelled too. A statement blocked on a lock or scanning a large
 * table then ends at once instead of running on after verify has returned.
 */
import type pg from 'pg'
import type { CancelBackends } from '../pg/statement-cancel.js'
import { canonicalSession } from './canonical-session.js'

/** One connection per side. */
export interface Lane {
  readonly source: pg.Client
  readonly target: pg.Client
}

/** How often an abort cancels again while a lane is still in use. */
const CANCEL_EVERY_MS = 250

export class VerifyLanes {
  readonly #free: Lane[] = []
  readonly #all: Lane[] = []
  readonly #busy = new Set<Lane>()
  /** Each connection's backend pid, for a cancel. */
  readonly #pids = new Map<pg.Client, number>()
  readonly #waiting: { resolve: (lane: Lane) => void; reject: (e: unknown) => void }[] = []
  #abortReason: unknown = undefined
  #aborted = false
  #cancelling: Promise<void> | undefined

  /** Open `count` lanes with `open`. */
  static async open(
    count: number,
    open: (side: 'source' | 'target') => Promise<pg.Client>,
  ): Promise<VerifyLanes> {
    const lanes = new VerifyLanes()
    try {
      for (let i = 0; i < count; i++) {
        const source = await open('source')
        const target = await open('target').catch(async (e: unknown) => {
          await source.end().catch(() => undefined)
          throw e
        })
        lanes.#all.push({ source, target })
        const [s, d] = await Promise.all([canonicalSession(source), canonicalSession(target)])
        lanes.#pids.set(source, s)
        lanes.#pids.set(target, d)
        lanes.#free.push({ source, target })
      }
    } catch (error) {
      await lanes.close()
      throw error
    }
    return lanes
  }

  /** Run `work` on a free lane; rejects with the abort's reason once aborted. */
  async with<T>(work: (lane: Lane) => Promise<T>): Promise<T> {
    if (this.#aborted) throw this.#abortReason
    const lane =
      this.#free.pop() ??
      (await new Promise<Lane>((resolve, reject) => this.#waiting.push({ resolve, reject })))
    this.#busy.add(lane)
    try {
      return await work(lane)
    } finally {
      this.#busy.delete(lane)
      const next = this.#aborted ? undefined : this.#waiting.shift()
      if (next !== undefined) next.resolve(lane)
      else this.#free.push(lane)
    }
  }

  /**
   * Stop handing out lanes and cancel the statements of the lanes in use with `cancel`, again
   * every CANCEL_EVERY_MS until none is in use. Resolves then (`close` waits for it too).
   */
  abort(reason: unknown, cancel: CancelBackends): Promise<void> {
    if (this.#cancelling !== undefined) return this.#cancelling
    this.#aborted = true
    this.#abortReason = reason
    for (const w of this.#waiting.splice(0)) w.reject(reason)
    this.#cancelling = (async () => {
      while (this.#busy.size > 0) {
        const busy = [...this.#busy]
        await Promise.all([
          cancel('source', this.#pidsOf(busy.map((l) => l.source))).catch(() => undefined),
          cancel('target', this.#pidsOf(busy.map((l) => l.target))).catch(() => undefined),
        ])
        await new Promise((r) => setTimeout(r, CANCEL_EVERY_MS))
      }
    })()
    return this.#cancelling
  }

  #pidsOf(clients: readonly pg.Client[]): number[] {
    return clients.map((c) => this.#pids.get(c) ?? 0).filter((pid) => pid > 0)
  }

  async close(): Promise<void> {
    await this.#cancelling
    await Promise.all(
      this.#all.flatMap((l) => [
        l.source.end().catch(() => undefined),
        l.target.end().catch(() => undefined),
      ]),
    )
  }
}
