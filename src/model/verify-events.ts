/**
 * The payloads of the `verify:*` events (a `verify` or `complete`'s check), apart from the other
 * events so each file stays readable; re-exported by events.ts.
 */
/**
 * Payload of `verify:progress`: how far a `verify` (or `complete`'s check) has got.
 * @public
 */
export interface VerifyProgressEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** Tables to check. */
  readonly tables: number
  /** Tables checked. */
  readonly tablesDone: number
  /** Chunks known so far (a table's count is known once its turn begins). */
  readonly chunks: number
  /** Chunks hashed on both sides. */
  readonly chunksDone: number
  /** Bytes of source table data hashed so far (rows × the table's average row size). */
  readonly bytesHashed: number
  /** Milliseconds since the check began. */
  readonly elapsedMs: number
  /** Estimated milliseconds left, from the chunks done; `null` until one is done. */
  readonly etaMs: number | null
}
/**
 * Payload of `verify:difference`: a row that differs, once its table is checked (and confirmed, while
 * a sync runs).
 * @public
 */
export interface VerifyDifferenceEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** Source database. */
  readonly database: string
  /** `schema.table` on the source. */
  readonly table: string
  /** `changed`, `missing` (on the source only) or `extra` (on the target only). */
  readonly kind: 'changed' | 'missing' | 'extra'
  /** The key's columns (the whole row for a table without a key). */
  readonly key: Readonly<Record<string, string | null>>
  /** The source's row, `null` when it has none. */
  readonly source: Readonly<Record<string, string | null>> | null
  /** The target's row, `null` when it has none. */
  readonly target: Readonly<Record<string, string | null>> | null
}
