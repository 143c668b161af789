/**
 * A database's connection pairs: each lane is one source and one target connection in the
 * canonical session, so a chunk is hashed on both servers at the same time. Work waits for a free
 * lane (a FIFO of waiters), so chunks of every table share the lanes.
 */
import type pg from 'pg'
import { canonicalSession } from './canonical-session.js'

/** One connection per side. */
export interface Lane {
  readonly source: pg.Client
  readonly target: pg.Client
}

export class VerifyLanes {
  readonly #free: Lane[] = []
  readonly #all: Lane[] = []
  readonly #waiting: ((lane: Lane) => void)[] = []

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
        await Promise.all([canonicalSession(source), canonicalSession(target)])
        lanes.#free.push({ source, target })
      }
    } catch (error) {
      await lanes.close()
      throw error
    }
    return lanes
  }

  /** Run `work` on a free lane. */
  async with<T>(work: (lane: Lane) => Promise<T>): Promise<T> {
    const lane =
      this.#free.pop() ?? (await new Promise<Lane>((resolve) => this.#waiting.push(resolve)))
    try {
      return await work(lane)
    } finally {
      const next = this.#waiting.shift()
      if (next !== undefined) next(lane)
      else this.#free.push(lane)
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#all.flatMap((l) => [
        l.source.end().catch(() => undefined),
        l.target.end().catch(() => undefined),
      ]),
    )
  }
}
