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
 * costs nothing for tables nobody watches. What it cannot place (a transaction applied while it
 * streams, a TRUNCATE) makes the span it falls in `opaque`: the caller must then treat every row as
 * changed. An image lacks what was not sent as text (an unchanged TOAST value, a binary column)
 * and an UPDATE without an old image (the key did not change) has only its new one: the span is
 * then `incomplete`, which a whole-row (keyless) comparison must treat as opaque, while a keyed
 * one still reads each changed row's key from the images (a key column is always sent).
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
  /**
   * An image of the span lacks a column (not sent as text), or an UPDATE came without its old
   * image: the old rows are not all known as whole rows, only by the columns each image holds.
   */
  readonly incomplete: boolean
  /** Every old and new row image of the span's changes (columns not sent as text left out). */
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
  readonly incomplete: boolean
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
      opaque: this.opaqueFrom !== undefined,
      incomplete: inSpan.some((e) => e.incomplete),
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
  #pending = new Map<number, { rows: WatchedRow[]; incomplete: boolean }>()

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
          const { row, whole } = rowOf(m.relation.columns, tuple)
          if (!whole) p.incomplete = true
          p.rows.push(row)
        }
        if (m.type === MessageType.Update && m.oldTuple === undefined) p.incomplete = true
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

  #pendingOf(oid: number): { rows: WatchedRow[]; incomplete: boolean } {
    let p = this.#pending.get(oid)
    if (p === undefined) {
      p = { rows: [], incomplete: false }
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

/**
 * A tuple's column texts by name, those not sent as text (binary, unchanged TOAST, past its end)
 * left out; `whole` when none was.
 */
function rowOf(
  columns: readonly { readonly name: string }[],
  tuple: TupleData,
): { row: WatchedRow; whole: boolean } {
  const row: Record<string, string | null> = {}
  let whole = true
  for (const [i, c] of columns.entries()) {
    const kind = i < tuple.length ? tuple.kind(i) : undefined
    if (kind === TupleKind.Null) row[c.name] = null
    else if (kind === TupleKind.Text) row[c.name] = tuple.text(i) ?? null
    else whole = false
  }
  return { row, whole }
}
