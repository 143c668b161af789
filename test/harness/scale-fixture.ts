/**
 * The scale-out tests' task (issue 15): the full-load fixture's tables copied by workers through a
 * queue, with a short heartbeat timeout ({@link SCALE_JOB_TIMEOUT_SECONDS}: a dead worker's job
 * moves on quickly, yet a live worker on a very slow machine beats well within it; if one does not,
 * the chunk's advisory lock still keeps its copy single).
 */
import pg from 'pg'
import type { ProgressStore, TaskConfig } from '../../src/index.js'
import { savePostDataPlan } from '../../src/schema/ddl-step.js'
import type { Cluster } from './cluster.js'
import { savePlan } from './fullload-fixture.js'

/**
 * The scale tests' job timeout. A live worker beats every third of it (about 1.7 s), a statement
 * of a few milliseconds, so it keeps 3.3 s of slack even on a machine with two CPU burners; a
 * dead worker's job moves on after it, and the test that holds a chunk past three timeouts waits
 * three of them (was 10 s, which made that test and every kill recovery wait twice as long).
 */
export const SCALE_JOB_TIMEOUT_SECONDS = 5

export function scaleTask(
  id: string,
  sourceUrl: string,
  targetUrl: string,
  sdb: string,
  tdb: string,
  queueUrl: string,
): TaskConfig {
  return {
    id,
    name: 'scale-out',
    source: sourceUrl,
    target: targetUrl,
    type: 'full',
    objects: { databases: { [sdb]: { as: tdb } } },
    parallelism: 2,
    // whole tables: a held table blocks one worker, not all of them
    splitTablesLargerThan: 0,
    workers: { queue: queueUrl, jobTimeoutSeconds: SCALE_JOB_TIMEOUT_SECONDS },
  }
}

/** The advisory lock key a held post-data step waits on (see {@link saveScalePlan}). */
export const HELD_STEP_KEY = 4_242_010

/**
 * The fixture's post-data plan plus one index on `big` whose step first waits on an advisory lock
 * the test may hold (`pg_advisory_lock(HELD_STEP_KEY)` in the target database): the step is then
 * certainly in flight on one worker, waiting, when the test kills that worker.
 */
export async function saveScalePlan(
  store: ProgressStore,
  taskId: string,
  sourceUrl: string,
  sdb: string,
  tdb: string,
): Promise<void> {
  // savePlan only needs query() on the source
  const source = {
    query: async (sql: string, params: unknown[], db: string) => {
      const c = new pg.Client({ connectionString: sourceUrl, database: db })
      await c.connect()
      try {
        return await c.query(sql, params)
      } finally {
        await c.end()
      }
    },
  } as unknown as Cluster
  const steps = await savePlan(store, taskId, source, sdb, tdb)
  const oid = await source.query<{ oid: number }>(
    `SELECT 'public.big'::regclass::oid::int8::float8 AS oid`,
    [],
    sdb,
  )
  await savePostDataPlan(store, taskId, tdb, [
    ...steps,
    {
      key: 'index:big_id_idx',
      kind: 'index',
      name: 'public.big_id_idx',
      phase: 'post-data',
      dependsOn: [],
      relations: [oid.rows[0]?.oid as number],
      sql: [
        `SELECT pg_advisory_xact_lock_shared(${HELD_STEP_KEY})`,
        'CREATE INDEX big_id_idx ON public.big (id)',
      ],
    },
  ])
}
