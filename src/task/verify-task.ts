/**
 * `task.verify()`: the consistency check over what the task migrated, at any time. It is not a
 * stage: it writes nothing, moves no state, and runs beside a running sync (whose applied position
 * it waits on to re-read a chunk that changed while it was read).
 */
import { openClient } from '../pg/connect.js'
import type { EmitFn } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { activeRun } from '../apply/incremental-run.js'
import { parseLsn } from '../wal/lsn.js'
import { wrapStageError } from '../stage/wrap-stage-error.js'
import { readVerifiedTables } from '../verify/verified-tables.js'
import { runVerify } from '../verify/verify-run.js'
import type { VerifyOptions, VerifyReport } from '../verify/verify-report.js'

/** How long a re-read waits for the sync to catch up before it fails (`PGFERRY_COMPLETE_LAG`). */
const SETTLE_TIMEOUT_MS = 600_000

/** Run the check for a task. */
export async function verifyTask(
  config: ResolvedTaskConfig,
  store: ProgressStore,
  emit: EmitFn,
  closing: AbortSignal,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const signal = options.signal === undefined ? closing : AbortSignal.any([options.signal, closing])
  try {
    signal.throwIfAborted()
    const databases = await readVerifiedTables(store, config.id)
    return await runVerify(
      {
        taskId: config.id,
        emit,
        signal,
        connect: (side, database) => openClient(config[side], side, { database }),
        sync: (database) => {
          const run = activeRun(config.id)
          if (run === undefined || !run.databases.some((d) => d.database === database))
            return undefined
          return {
            settle: (lsn) =>
              run.waitFor(new Map([[database, parseLsn(lsn)]]), signal, SETTLE_TIMEOUT_MS),
            watch: (oid) => run.watchRows(database, oid),
          }
        },
      },
      databases,
      options,
    )
  } catch (error) {
    throw wrapStageError(error, 'verify', signal, config.source.user)
  }
}
