/**
 * Which selected relations a task's publication names, and which tables it must carry changes of.
 * One place for both, so that the publication pgferry creates, the precheck of the privileges that
 * creation needs, and the check of a DBA-made publication all agree.
 */
import type { SelectedRelation } from '../catalog/selection.js'

/**
 * The relations `CREATE PUBLICATION … FOR TABLE` names: v13+, partitioned roots (a partition
 * attached later is then published too) and plain tables outside a selected root; v12 cannot
 * publish a partitioned table, so its leaf partitions. Permanent tables only.
 */
export function publishedRelations(
  relations: readonly SelectedRelation[],
  serverVersion: number,
): SelectedRelation[] {
  const byOid = new Map(relations.map((r) => [r.oid, r]))
  return relations.filter((r) => {
    if (r.persistence !== 'p') return false
    if (serverVersion >= 130000) {
      if (r.kind === 'p') return r.parentOid === undefined || !byOid.has(r.parentOid)
      return r.kind === 'r' && (r.parentOid === undefined || !byOid.has(r.parentOid))
    }
    return r.kind === 'r'
  })
}

/** The tables whose changes the stream must carry: every permanent table with rows (leaves). */
export function replicatedTables(relations: readonly SelectedRelation[]): SelectedRelation[] {
  return relations.filter((r) => r.persistence === 'p' && r.kind === 'r')
}
