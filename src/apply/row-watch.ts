/**
 * Which rows of a table the stream changed between two source positions, as the source printed
 * them: what verify needs to tell a row that changed while it compared from one that differs
 * (issue 13). A table without a key is compared as a multiset of row hashes, and "the source's
 * count of a row did not change across the re-check" cannot be read from two counts (a row
 * inserted and deleted again between them leaves them equal while the target, read in between,
 * holds it): the stream is the one exact record of every change.
 *
 * A watch records, for one source table, each change's old and new row images (column texts by
 * name) under the end LSN of its transaction, from the moment it is opened until it is closed; it
 * costs nothing for tables nobody watches. What it cannot record as text (a binary column, an
 * unchanged TOAST value, a transaction applied while it streams, a TRUNCATE) makes the span it
 * falls in `opaque`: the caller must then treat every row as changed.
 */
import {
  MessageType,
  TupleKind,
  type PgoutputMessage,
  type TupleData,
} from '../wal/pgoutput-messages.js'

/** A row image: column name → text (`null`: SQL NULL). */
export type WatchedRow = Readonly<Record<string, string | null>>

/** The changes a watch saw in a span of source positions. */
export interface WatchedChanges {
  /** Something in the span could not be recorded: every row may have changed. */
  readonly opaque: boolean
  /** Every old and new row image of the span's changes. */
  readonly rows: readonly WatchedRow[]
}

/** An open watch on one source table. */
export interface RowWatch {
  /** The changes of transactions ending in `(from, to]`. */
  between(from: bigint, to: bigint): WatchedChanges
  /** Stop recording. */
  close(): void
}

interface Entry {
  readonly endLsn: bigint
  readonly rows: WatchedRow[]
  readonly opaque: boolean
}

class Watch implements RowWatch {
  readonly entries: Entry[] = []
  /** A change seen outside any span we can place (a streamed transaction): from here on, opaque. */
  opaqueFrom: bigint | undefined
  readonly #close: () => void
  constructor(close: () => void) {
    this.#close = close
  }
  between(from: bigint, to: bigint): WatchedChanges {
    const inSpan = this.entries.filter((e) => e.endLsn > from && e.endLsn <= to)
    return {
      opaque: this.opaqueFrom !== undefined || inSpan.some((e) => e.opaque),
      rows: inSpan.flatMap((e) => e.rows),
    }
  }
  close(): void {
    this.#close()
  }
}

/** The watches of one database's apply, fed with every message it receives. */
export class RowWatches {
  readonly #byOid = new Map<number, Set<Watch>>()
  /** Row images of the open transaction, per watched table. */
  #pending = new Map<number, { rows: WatchedRow[]; opaque: boolean }>()

  /** Start recording the changes of the source table `oid`. */
  open(oid: number): RowWatch {
    const set = this.#byOid.get(oid) ?? new Set<Watch>()
    this.#byOid.set(oid, set)
    const watch = new Watch(() => {
      set.delete(watch)
      if (set.size === 0) this.#byOid.delete(oid)
    })
    set.add(watch)
    return watch
  }

  /** A received message (before it is applied). */
  observe(m: PgoutputMessage): void {
    if (this.#byOid.size === 0) return
    switch (m.type) {
      case MessageType.Insert:
      case MessageType.Update:
      case MessageType.Delete: {
        const oid = m.relation.relationOid
        if (!this.#byOid.has(oid)) return
        if (m.xid !== undefined) return this.#opaque(oid)
        const p = this.#pendingOf(oid)
        const images = [
          m.type !== MessageType.Insert ? m.oldTuple : undefined,
          m.type !== MessageType.Delete ? m.newTuple : undefined,
        ]
        for (const tuple of images) {
          if (tuple === undefined) continue
          const row = rowOf(m.relation.columns, tuple)
          if (row === undefined) p.opaque = true
          else p.rows.push(row)
        }
        if (m.type === MessageType.Update && m.oldTuple === undefined) p.opaque = true
        return
      }
      case MessageType.Truncate:
        for (const r of m.relations) if (this.#byOid.has(r.relationOid)) this.#opaque(r.relationOid)
        return
      case MessageType.Commit:
      case MessageType.StreamCommit:
        return this.#commit(m.endLsn)
      default:
    }
  }

  #pendingOf(oid: number): { rows: WatchedRow[]; opaque: boolean } {
    let p = this.#pending.get(oid)
    if (p === undefined) {
      p = { rows: [], opaque: false }
      this.#pending.set(oid, p)
    }
    return p
  }

  #opaque(oid: number): void {
    for (const w of this.#byOid.get(oid) ?? []) w.opaqueFrom ??= 0n
  }

  #commit(endLsn: bigint): void {
    for (const [oid, p] of this.#pending) {
      for (const w of this.#byOid.get(oid) ?? []) w.entries.push({ endLsn, ...p })
    }
    this.#pending = new Map()
  }
}

/** A tuple's column texts by name; `undefined` when one is not text (binary, unchanged TOAST). */
function rowOf(
  columns: readonly { readonly name: string }[],
  tuple: TupleData,
): WatchedRow | undefined {
  const row: Record<string, string | null> = {}
  for (const [i, c] of columns.entries()) {
    if (i >= tuple.length) return undefined
    const kind = tuple.kind(i)
    if (kind === TupleKind.Null) row[c.name] = null
    else if (kind === TupleKind.Text) row[c.name] = tuple.text(i) ?? null
    else return undefined
  }
  return row
}
