/**
 * The figures a running Task sends with each lease heartbeat (model/lease.ts LiveFigures), so that
 * `pgferry status` in another process shows lag, apply rate and load progress without joining the
 * running process: the last lag sample per database, rows and transactions applied per second
 * between two beats, and the full load's last progress.
 */
import type { PgferryEvents } from '../model/events.js'
import type { LiveFigures } from '../model/lease.js'

type Lag = Record<string, { bytes: number; seconds: number }>

export class LiveMeter {
  #lag: Lag | undefined
  #load: LiveFigures['load']
  #rows = 0
  #transactions = 0
  #applying = false
  #since = Date.now()

  /** Take in one of the Task's events. */
  observe(name: keyof PgferryEvents, event: unknown): void {
    if (name === 'wal:lag') {
      const e = event as PgferryEvents['wal:lag']
      this.#lag = { ...this.#lag, [e.database]: { bytes: e.lagBytes, seconds: e.lagSeconds } }
      this.#applying = true
    } else if (name === 'apply:batch') {
      const e = event as PgferryEvents['apply:batch']
      this.#rows += e.rows
      this.#transactions += e.transactions
      this.#applying = true
    } else if (name === 'load:progress') {
      const e = event as PgferryEvents['load:progress']
      this.#load = {
        percent: e.percent,
        tablesDone: e.tablesDone,
        tablesTotal: e.tablesTotal,
        etaSeconds: e.etaSeconds ?? null,
      }
    }
  }

  /** The figures for this beat; the apply rates cover the time since the previous beat. */
  snapshot(now = Date.now()): LiveFigures {
    const seconds = Math.max((now - this.#since) / 1000, 0.001)
    const figures: LiveFigures = {
      ...(this.#lag === undefined ? {} : { lag: this.#lag }),
      ...(this.#applying
        ? {
            appliedRowsPerSecond: this.#rows / seconds,
            appliedTransactionsPerSecond: this.#transactions / seconds,
          }
        : {}),
      ...(this.#load === undefined ? {} : { load: this.#load }),
    }
    this.#rows = 0
    this.#transactions = 0
    this.#since = now
    return figures
  }
}
