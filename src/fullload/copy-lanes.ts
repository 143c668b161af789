/**
 * Worker lanes: each a dedicated source client and target client for one database, reused from
 * chunk to chunk and replaced after a failure (the pipe closes both on any error). The number of
 * lanes in use is bounded by the caller's ChunkScheduler, so this is a free list, not a scheduler.
 */
import type pg from 'pg'
import { openClient } from '../pg/connect.js'
import type { StageContext } from '../model/stage.js'
import { relaySocket } from './relay-socket.js'

/** Session settings of every full-load connection that holds a transaction or a long statement. */
export const NO_TIMEOUTS = `SELECT set_config('statement_timeout', '0', false), set_config('idle_in_transaction_session_timeout', '0', false), set_config('lock_timeout', '0', false)`

/** A source/target client pair. */
export interface Lane {
  source: pg.Client
  target: pg.Client
}

/** Lanes of one database. */
export class LanePool {
  readonly #ctx: StageContext
  readonly #sourceDb: string
  readonly #targetDb: string
  readonly #free: Lane[] = []
  readonly #all = new Set<Lane>()
  #replicaRoleWarned = false

  constructor(ctx: StageContext, sourceDb: string, targetDb: string) {
    this.#ctx = ctx
    this.#sourceDb = sourceDb
    this.#targetDb = targetDb
  }

  async acquire(): Promise<Lane> {
    const lane = this.#free.pop()
    if (lane !== undefined) return lane
    this.#ctx.signal.throwIfAborted()
    // Opened here rather than by ctx.connect: its socket reads into a reused buffer, which the
    // COPY relay writes from (relay-socket.ts; pg's own socket where TLS is on). This pool closes
    // it: on release after a failure, in close(), or below.
    const source = await openClient(this.#ctx.config.source, 'source', {
      database: this.#sourceDb,
      socket: relaySocket,
    })
    try {
      const target = await this.#ctx.connect('target', { database: this.#targetDb })
      await this.#prepare(source, target)
      const created = { source, target }
      this.#all.add(created)
      return created
    } catch (error) {
      await source.end().catch(() => undefined)
      throw error
    }
  }

  async #prepare(source: pg.Client, target: pg.Client): Promise<void> {
    // A role's statement or idle timeouts must not cut a long COPY.
    await source.query(NO_TIMEOUTS)
    await target.query(NO_TIMEOUTS)
    // Bulk load settings (ARCHITECTURE.md): no commit flush wait; no user triggers or FK checks.
    await target.query('SET synchronous_commit = off')
    try {
      await target.query('SET session_replication_role = replica')
    } catch {
      if (!this.#replicaRoleWarned) {
        this.#replicaRoleWarned = true
        this.#ctx.warn(
          'PGFERRY_FULLLOAD_REPLICA_ROLE',
          `cannot SET session_replication_role = replica on target database ${this.#targetDb} (needs superuser before v15, or SET privilege); triggers on the target tables will fire during the load`,
        )
      }
    }
  }

  /** Return a healthy lane, or drop a broken one (its clients are already closed). */
  release(lane: Lane, healthy: boolean): void {
    if (healthy) this.#free.push(lane)
    else this.#all.delete(lane)
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#all].flatMap((l) =>
        [l.source.end(), l.target.end()].map((p) => p.catch(() => undefined)),
      ),
    )
    this.#all.clear()
    this.#free.length = 0
  }
}
