/**
 * The manifest's relations as the source has them now, for a stage that reads their rows (the full
 * load). The manifest names relations by schema and name; the oid it records is the one they had
 * when it was resolved. A table dropped and created again under the same name (the fix the full
 * load itself names for a table dropped mid-load) is the same entry with a new oid, stored so the
 * stream maps its changes; sizes are read afresh for planning. A relation whose name resolves no
 * more was renamed or dropped: the stage fails, naming it, rather than migrate another set than
 * the other stages.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { readLiveRelations } from '../catalog/live-relations.js'
import type { DatabaseManifest, SelectedRelation } from '../model/manifest.js'
import type { StageContext } from '../model/stage.js'
import { saveManifest } from './manifest-store.js'

function missingError(m: DatabaseManifest, gone: string[]): PgferryError {
  return new PgferryError(
    'PGFERRY_MANIFEST_RELATION_MISSING',
    `database ${m.database.name}: the task migrates ${gone.join(', ')}, which the source no longer has under that name (DDL on the source is not carried by a migration)`,
    {
      fix: 'rename it back, or create it again, on the source and run the stage again (what is done is kept); or, if it is meant to be gone, delete this task and create one whose objects leave it out',
    },
  )
}

/** `m` with its relations' current oids and sizes (stored again when an oid changed). */
export async function withCurrentRelations(
  ctx: StageContext,
  client: pg.Client,
  m: DatabaseManifest,
): Promise<DatabaseManifest> {
  const live = await readLiveRelations(client, m.relations)
  const gone: string[] = []
  const newOid = new Map<number, number>()
  for (const [i, r] of m.relations.entries()) {
    const l = live[i]
    if (l?.oid === undefined) {
      const name = `${r.schema}.${r.name}`
      gone.push(l?.renamedTo === undefined ? `${name} (dropped)` : `${name} (now ${l.renamedTo})`)
    } else if (l.oid !== r.oid) newOid.set(r.oid, l.oid)
  }
  if (gone.length > 0) throw missingError(m, gone)
  const relations = m.relations.map((r, i): SelectedRelation => ({
    ...r,
    oid: newOid.get(r.oid) ?? r.oid,
    parentOid: r.parentOid === undefined ? undefined : (newOid.get(r.parentOid) ?? r.parentOid),
    bytes: live[i]?.bytes ?? r.bytes,
    estimatedRows: live[i]?.estimatedRows ?? r.estimatedRows,
  }))
  const current: DatabaseManifest = { ...m, relations }
  if (newOid.size > 0) await saveManifest(ctx.store, ctx.taskId, current)
  return current
}
