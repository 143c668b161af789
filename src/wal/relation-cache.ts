/**
 * Relations by OID as last described by the server. pgoutput sends a Relation message before the
 * first change to a table in a session and again after any schema change, so each one replaces the
 * entry whole (never merged: columns may have been dropped or retyped).
 */
import type { RelationMessage } from './pgoutput-messages.js'

/**
 * Relations by OID, replaced whole on each Relation message.
 * @public
 */
export class RelationCache {
  readonly #byOid = new Map<number, RelationMessage>()

  set(relation: RelationMessage): void {
    this.#byOid.set(relation.relationOid, relation)
  }

  get(oid: number): RelationMessage | undefined {
    return this.#byOid.get(oid)
  }

  get size(): number {
    return this.#byOid.size
  }

  clear(): void {
    this.#byOid.clear()
  }

  values(): IterableIterator<RelationMessage> {
    return this.#byOid.values()
  }
}
