/** What the key, constraint and index steps of one database look up. */
import type { IndexInfo } from '../catalog/indexes.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteQualified } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'

/** Lookups over the selection and its indexes. */
export interface KeyContext {
  readonly selected: ReadonlyMap<number, SelectedRelation>
  readonly indexByOid: ReadonlyMap<number, IndexInfo>
  /** A relation's oid and those of its partitions or children, at every depth. */
  tree(oid: number): number[]
  /** An index's qualified target name; undefined when its table is not selected. */
  indexName(oid: number): string | undefined
}

export function keyContext(cat: SourceCatalog): KeyContext {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const children = new Map<number, number[]>()
  for (const r of cat.selection.relations) {
    if (r.parentOid === undefined) continue
    children.set(r.parentOid, [...(children.get(r.parentOid) ?? []), r.oid])
  }
  const tree = (oid: number): number[] => [oid, ...(children.get(oid) ?? []).flatMap(tree)]
  const indexByOid = new Map(cat.indexes.map((i) => [i.oid, i]))
  const indexName = (oid: number): string | undefined => {
    const i = indexByOid.get(oid)
    const t = i === undefined ? undefined : selected.get(i.table)
    return i === undefined || t === undefined ? undefined : quoteQualified(t.targetSchema, i.name)
  }
  return { selected, indexByOid, tree, indexName }
}

/** A foreign key's step and the referenced key's index, whose attachments it waits for. */
export interface ForeignKeyRef {
  readonly key: string
  readonly index: number
}
