/**
 * What a stage says about a relation the source has in a schema the task migrates whole but the
 * manifest does not name (created since the manifest was resolved): it is not migrated, and the
 * message names the explicit step that adds it. One text for the full load, the sync and the
 * cutover.
 */
import { readUnlistedRelations, type UnlistedRelation } from '../catalog/unlisted-relations.js'
import { wholeSchemasOf, type DatabaseManifest } from '../model/manifest.js'
import type pg from 'pg'

const KIND_NAMES: Readonly<Record<string, string>> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  S: 'sequence',
  f: 'foreign table',
}

/** Relations of `client`'s database in the manifest's whole schemas that it does not name. */
export async function notMigrated(
  client: pg.Client,
  manifest: DatabaseManifest,
): Promise<UnlistedRelation[]> {
  return readUnlistedRelations(
    client,
    wholeSchemasOf(manifest),
    new Set(manifest.relations.map((r) => r.oid)),
  )
}

/** The warning's text for `rel` of source database `database`. */
export function notMigratedMessage(rel: UnlistedRelation, database: string): string {
  const name = `${rel.schema}.${rel.name}`
  const kind = KIND_NAMES[rel.kind] ?? 'relation'
  const fix =
    rel.kind === 'r' || rel.kind === 'p'
      ? `to migrate it, stop the sync (sync.stop()) and call startIncremental(task, { addTables: [${JSON.stringify(name)}] }) before complete: it is created on the target, copied as of a consistent point, and its changes streamed from then on (the command line cannot add it to a running task: migrate it with a new task, pgferry run --tables)`
      : `only tables can be added to a running task (startIncremental(task, { addTables })); create it on the target yourself, or migrate it with a new task (pgferry run)`
  return `${kind} ${name} of ${database} was created on the source after the task resolved what it migrates, so it is not migrated; ${fix}`
}
