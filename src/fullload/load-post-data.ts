/**
 * The post-data runner of one database's load, fed as tables land: the structure stage's plan,
 * less the steps an earlier run finished, each step waiting for the tables it names.
 */
import type pg from 'pg'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { DatabaseObjects } from '../catalog/selection.js'
import { versionNum } from '../catalog/server-version.js'
import type { DdlStep } from '../schema/ddl-step.js'
import { readManifestState } from '../manifest/manifest-state.js'
import { databaseState } from '../model/manifest-state.js'
import { readPostDataDone } from './chunk-progress.js'
import type { LoadPlan } from './load-plan.js'
import type { LoadTracker } from './load-tracker.js'
import { PostDataRunner, postDataSearchPath, type PostDataInput } from './post-data-runner.js'

/** The runner and the plan it runs. */
export interface LoadPostData {
  readonly runner: PostDataRunner
  readonly steps: readonly DdlStep[]
}

/** Start the post-data runner of a planned load. */
export async function startPostData(
  ctx: StageContext,
  tgt: pg.Client,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
  plan: LoadPlan,
  tracker: LoadTracker,
  execute?: PostDataInput['execute'],
): Promise<LoadPostData> {
  const { taskId, store } = ctx
  const { units, pending, complete } = plan
  const state = databaseState(await readManifestState(store, taskId), db.name)
  const steps = state?.postDataPlan ?? []
  const doneKeys = new Set<string>(state?.postDataDone)
  for (const k of await readPostDataDone(tgt, ctx.config.ledger, taskId)) doneKeys.add(k)
  const unitsOf = new Map<number, number[]>()
  const unitOids = new Set(units.map((u) => u.rel.oid))
  const parentOf = new Map(selection.relations.map((r) => [r.oid, r.parentOid]))
  for (const u of units) {
    for (let cur: number | undefined = u.rel.oid; cur !== undefined; cur = parentOf.get(cur)) {
      unitsOf.set(cur, [...(unitsOf.get(cur) ?? []), u.rel.oid])
    }
  }
  // A relation the plan names that the source no longer has under that oid (dropped and created
  // again since the structure stage): its steps wait for every table rather than run before data.
  for (const step of steps) {
    for (const rel of step.relations) if (!parentOf.has(rel)) unitsOf.set(rel, [...unitOids])
  }
  tracker.postDataPlanned(steps.length, steps.filter((s) => doneKeys.has(s.key)).length)
  const runner = new PostDataRunner(ctx, {
    targetDb: db.as,
    steps,
    done: doneKeys,
    unitsOf,
    landed: new Set([...unitOids].filter((o) => complete.has(o))),
    analyze: new Map(pending.map((u) => [u.rel.oid, u.targetName])),
    vacuum: (await versionNum(tgt)) < 130000,
    parallelism: ctx.config.parallelism,
    searchPath: postDataSearchPath(db.schemas),
    onStepDone: () => tracker.postDataStepDone(),
    ...(execute !== undefined ? { execute } : {}),
  })
  return { runner, steps }
}
