/**
 * The figures a running Task sends with each lease heartbeat (model/lease.ts LiveFigures), so that
 * `pgferry status` in another process shows lag, apply rate, WAL retained and load progress
 * without joining the running process: the last lag and retention sample per database, rows and
 * transactions applied per second between two beats, the full load's last progress and the tables
 * it copies now.
 */
import type { PgferryEvents } from '../model/events.js'
import type { LiveFigures, LiveTableCopy } from '../model/lease.js'

type Lag = Record<string, { bytes: number; seconds: number }>
type Retained = NonNullable<LiveFigures['retained']>

/** A table in copy: its chunks' bytes so far (by chunk name) and its committed rows. */
interface Copying {
  readonly database: string
  readonly table: string
  readonly chunks: number
  readonly bytes: Map<string, number>
  rows: number
  chunksDone: number
}

export class LiveMeter {
  #lag: Lag | undefined
  #retained: Retained | undefined
  #load: LiveFigures['load']
  readonly #copying = new Map<string, Copying>()
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
    } else if (name === 'wal:retained') {
      const e = event as PgferryEvents['wal:retained']
      const sample = { bytes: e.retainedBytes, walStatus: e.walStatus ?? null }
      this.#retained = { ...this.#retained, [e.database]: sample }
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
        postDataDone: e.postDataDone,
        postDataTotal: e.postDataTotal,
      }
    } else {
      this.#observeCopy(name, event)
    }
  }

  #observeCopy(name: keyof PgferryEvents, event: unknown): void {
    if (name === 'table:start') {
      const e = event as PgferryEvents['table:start']
      this.#copying.set(key(e), { ...e, bytes: new Map(), rows: 0, chunksDone: 0 })
    } else if (name === 'chunk:progress') {
      const e = event as PgferryEvents['chunk:progress']
      const t = this.#copying.get(key(e))
      if (t === undefined) return
      t.bytes.set(e.chunk, e.bytes)
      if (e.done) {
        t.rows += e.rows
        t.chunksDone++
      }
    } else if (name === 'table:copied') {
      this.#copying.delete(key(event as PgferryEvents['table:copied']))
    }
  }

  /** The figures for this beat; the apply rates cover the time since the previous beat. */
  snapshot(now = Date.now()): LiveFigures {
    const seconds = Math.max((now - this.#since) / 1000, 0.001)
    const figures: LiveFigures = {
      ...(this.#lag === undefined ? {} : { lag: this.#lag }),
      ...(this.#retained === undefined ? {} : { retained: this.#retained }),
      ...(this.#applying
        ? {
            appliedRowsPerSecond: this.#rows / seconds,
            appliedTransactionsPerSecond: this.#transactions / seconds,
          }
        : {}),
      ...(this.#load === undefined ? {} : { load: this.#load }),
      ...(this.#copying.size === 0 ? {} : { copying: [...this.#copying.values()].map(copyOf) }),
    }
    this.#rows = 0
    this.#transactions = 0
    this.#since = now
    return figures
  }
}

function key(e: { readonly database: string; readonly table: string }): string {
  return `${e.database}\u001f${e.table}`
}

function copyOf(t: Copying): LiveTableCopy {
  let bytes = 0
  for (const b of t.bytes.values()) bytes += b
  const { database, table, rows, chunksDone, chunks } = t
  return { database, table, bytes, rows, chunksDone, chunks }
}
