/**
 * The task's manifests in the progress store: kind `manifest`, key = source database, value
 * {@link DatabaseManifest}. Written once when the manifest is resolved (resolve-manifest.ts) and
 * again only by the explicit step that adds tables (add-tables.ts).
 *
 * Why it is stored: the stages after the first must act on the same set of objects. Re-resolving
 * the selection against the live source catalog later picks up a table created since in a schema
 * selected whole, which is neither on the target nor in the publication (the cutover then failed on
 * it, issue 10 item 6), and re-runs the dependency closure, function-body parsing included, each
 * time a stream starts (issue 12).
 */
import type { DatabaseManifest } from '../model/manifest.js'
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import { readProgress } from '../store/progress-records.js'

/** Progress kind of a database's manifest. */
export const MANIFEST_KIND = PROGRESS_KINDS.manifest

/** Store the manifest of one source database (replacing the one stored). */
export async function saveManifest(
  store: ProgressStore,
  taskId: string,
  manifest: DatabaseManifest,
): Promise<void> {
  await store.putProgress(taskId, [
    { kind: MANIFEST_KIND, key: manifest.database.name, value: manifest },
  ])
}

/** The stored manifests of a task in database order; empty when none was resolved yet. */
export async function readManifests(
  store: ProgressStore,
  taskId: string,
): Promise<DatabaseManifest[]> {
  const entries = await readProgress(store, taskId, MANIFEST_KIND)
  return entries.map((e) => e.value).sort((a, b) => a.position - b.position)
}
