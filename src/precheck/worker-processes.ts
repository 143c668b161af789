/**
 * Item `target.worker-processes`: the service's rule for an incremental target,
 * `max_worker_processes` > `max_logical_replication_workers`, so that logical replication workers
 * cannot take every background worker slot (parallel query and autovacuum helpers need some).
 * Both need a restart to change.
 */
import { readSettings } from '../catalog/settings.js'
import { found, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'target.worker-processes'
const TITLE = 'target max_worker_processes > max_logical_replication_workers'

export async function checkWorkerProcesses(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental) return passed(ID, TITLE, `not needed for a '${input.type}' task`)
  const s = await readSettings(input.target, [
    'max_worker_processes',
    'max_logical_replication_workers',
  ])
  const workers = Number(s.get('max_worker_processes')?.setting)
  const logical = Number(s.get('max_logical_replication_workers')?.setting)
  const both = `max_worker_processes = ${workers}, max_logical_replication_workers = ${logical}`
  if (workers > logical) return passed(ID, TITLE, both)
  return found(
    ID,
    TITLE,
    'fail',
    `${both} on the target: max_worker_processes must be greater`,
    [
      {
        side: 'target',
        sql: `ALTER SYSTEM SET max_worker_processes = ${Math.max(8, logical + 2)};`,
        restart: true,
      },
    ],
    ['max_worker_processes', 'max_logical_replication_workers'],
  )
}
