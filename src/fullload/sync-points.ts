/**
 * Each loaded table's sync LSN, as the target ledger's `copy_done` rows record it. Those rows
 * commit in the chunk's own target transaction, with the snapshot's LSN, so they are the truth;
 * the store's `fullload-table` entries (load-progress.ts) are derived from them at the end of every
 * run, before the database is marked complete (the incremental stage starts only after that mark).
 * A run that failed on another table, or a process that died between a chunk's COMMIT and its store
 * write, therefore cannot leave a table, or the partitioned root its changes arrive under, without
 * the sync LSN of the rows it holds: the next run writes it.
 */
import type { SelectedRelation } from '../catalog/selection.js'
import { completeEpoch, type DoneChunk } from './chunk-progress.js'
import { LOADED_TABLE_KIND, loadedTableKey, type LoadedTable } from './load-progress.js'

/** The partitioned tables above `rel` within the selection, nearest first. */
export function ancestorsOf(
  rel: SelectedRelation,
  byOid: ReadonlyMap<number, SelectedRelation>,
): SelectedRelation[] {
  const out: SelectedRelation[] = []
  for (
    let up = byOid.get(rel.parentOid ?? -1);
    up !== undefined;
    up = byOid.get(up.parentOid ?? -1)
  )
    out.push(up)
  return out
}

/** The sync LSN of a complete table's rows (null: the slot's own snapshot), else undefined. */
export function completeSyncLsn(
  chunks: readonly DoneChunk[] | undefined,
): string | null | undefined {
  const epoch = completeEpoch(chunks)
  if (epoch === undefined) return undefined
  return chunks?.find((c) => c.epoch === epoch)?.syncLsn ?? null
}

/**
 * Complete partitions under a root whose complete partitions were copied under different
 * snapshots. Changes of a partition arrive under its root's oid (publish_via_partition_root), so a
 * root has one sync LSN: the load re-copies all of a root's partitions together to keep it so, and
 * the partitions of a root found otherwise are copied again.
 */
export function unevenPartitions(
  relations: readonly SelectedRelation[],
  tables: readonly SelectedRelation[],
  done: ReadonlyMap<number, readonly DoneChunk[]>,
): Set<number> {
  const byOid = new Map(relations.map((r) => [r.oid, r]))
  const lsns = new Map<number, Set<string | null>>()
  const under = new Map<number, number[]>()
  for (const t of tables) {
    const root = ancestorsOf(t, byOid).at(-1)
    if (root === undefined) continue
    const lsn = completeSyncLsn(done.get(t.oid))
    if (lsn === undefined) continue
    lsns.set(root.oid, (lsns.get(root.oid) ?? new Set()).add(lsn))
    under.set(root.oid, [...(under.get(root.oid) ?? []), t.oid])
  }
  const out = new Set<number>()
  for (const [root, set] of lsns)
    if (set.size > 1) for (const o of under.get(root) ?? []) out.add(o)
  return out
}

/**
 * The store entries of every complete table and of every partitioned table whose partitions are
 * all complete, from the target's chunk rows.
 */
export function loadedTableEntries(
  sourceDb: string,
  relations: readonly SelectedRelation[],
  tables: readonly SelectedRelation[],
  done: ReadonlyMap<number, readonly DoneChunk[]>,
): { kind: string; key: string; value: LoadedTable }[] {
  const byOid = new Map(relations.map((r) => [r.oid, r]))
  const entry = (r: SelectedRelation, rows: number, bytes: number, syncLsn: string | null) => ({
    kind: LOADED_TABLE_KIND,
    key: loadedTableKey(sourceDb, r.oid),
    value: {
      sourceDatabase: sourceDb,
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      targetSchema: r.targetSchema,
      rows,
      bytes,
      syncLsn,
    } satisfies LoadedTable,
  })
  const out: ReturnType<typeof entry>[] = []
  const roots = new Map<number, { rel: SelectedRelation; lsn: string | null; whole: boolean }>()
  for (const t of tables) {
    const chunks = done.get(t.oid)
    const lsn = completeSyncLsn(chunks)
    // every partitioned table above: with publish_via_partition_root changes arrive under the top
    for (const up of ancestorsOf(t, byOid)) {
      const r = roots.get(up.oid) ?? { rel: up, lsn: lsn ?? null, whole: true }
      if (lsn === undefined) r.whole = false
      roots.set(up.oid, r)
    }
    if (lsn === undefined) continue
    const epoch = completeEpoch(chunks)
    const mine = (chunks ?? []).filter((c) => c.epoch === epoch)
    out.push(
      entry(
        t,
        mine.reduce((a, c) => a + c.rows, 0),
        mine.reduce((a, c) => a + c.bytes, 0),
        lsn,
      ),
    )
  }
  for (const r of roots.values()) if (r.whole) out.push(entry(r.rel, 0, 0, r.lsn))
  return out
}
