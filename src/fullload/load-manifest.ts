/**
 * The relations a database's full load migrated, as it resolved them: kind `fullload-manifest`,
 * key = source database, value {@link LoadManifest}. Written each time the full load resolves the
 * selection, before it copies anything, so it always names what the last (the finishing) run
 * copied.
 *
 * Why it is stored: the stages after the load must act on the same set of objects (ARCHITECTURE.md,
 * the manifest). Re-resolving the selection against the live source catalog at cutover picks up a
 * table created since in a schema selected whole, which is neither on the target nor in the
 * publication, and the cutover then fails on it (issue 10 item 6).
 */
import type { RelKind, SelectedRelation } from '../catalog/selection.js'
import type { ProgressStore } from '../model/progress-store.js'

/** Progress kind of a database's manifest. */
export const LOAD_MANIFEST_KIND = 'fullload-manifest'

/** A relation as the full load migrated it. */
export interface MigratedRelation {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly kind: RelKind
  /** `p` permanent, `u` unlogged, `t` temporary. */
  readonly persistence: 'p' | 'u' | 't'
  readonly targetSchema: string
}

/** What one database's full load migrated. */
export interface LoadManifest {
  readonly relations: readonly MigratedRelation[]
}

/** Record what the full load of `sourceDb` resolved. */
export async function saveLoadManifest(
  store: ProgressStore,
  taskId: string,
  sourceDb: string,
  relations: readonly SelectedRelation[],
): Promise<void> {
  const value: LoadManifest = {
    relations: relations.map((r) => ({
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      persistence: r.persistence,
      targetSchema: r.targetSchema,
    })),
  }
  await store.putProgress(taskId, [{ kind: LOAD_MANIFEST_KIND, key: sourceDb, value }])
}

/** The manifests of a task by source database (none for a load recorded before they existed). */
export async function readLoadManifests(
  store: ProgressStore,
  taskId: string,
): Promise<Map<string, LoadManifest>> {
  const entries = await store.getProgress(taskId, LOAD_MANIFEST_KIND)
  return new Map(entries.map((e) => [e.key, e.value as LoadManifest]))
}
