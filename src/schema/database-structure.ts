/**
 * The structure of one source database on the target, as its manifest names it: create the target
 * database if needed, read the source catalog of the manifest's objects, plan the DDL in dependency
 * order, run the pre-data steps, and either run the post-data steps too (`structure` tasks) or save
 * them for the full load (`savePostDataPlan`). Every step is marked done in the store, so running it
 * again (after a crash, or after tables were added to the manifest) creates only what is missing.
 */
import type pg from 'pg'
import { readAcls, type AclInfo } from '../catalog/acls.js'
import { readSharedComments, type CommentMap } from '../catalog/comments.js'
import { readDatabase, type DatabaseInfo } from '../catalog/databases.js'
import { readAvailableExtensionVersions } from '../catalog/installed-extensions.js'
import { serverVersion } from '../catalog/server-version.js'
import type { DatabaseManifest } from '../model/manifest.js'
import { setDeparseSession } from '../catalog/deparse-session.js'
import type { StageContext } from '../model/stage.js'
import { ensureTargetDatabase } from './database-setup.js'
import { savePostDataPlan, type DdlStep } from './ddl-step.js'
import { planDatabase, type DatabasePlan } from './plan-database.js'
import { runSteps, type RunStepsOptions, type RunStepsResult } from './run-steps.js'
import { readSourceCatalog } from './source-catalog.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'

/**
 * The progress kind under which each step the structure runs (roles, pre-data, and post-data of a
 * `structure` task) is marked done, keyed `<targetDb>\u001f<step key>`. Not NUL: the PostgreSQL
 * store passes entries as JSON, and jsonb refuses `\u0000` (22P05).
 */
export const SCHEMA_DONE_KIND = PROGRESS_KINDS.schemaDone
/** Separates the target database from the step key in a progress key. */
export const SCHEMA_KEY_SEP = '\u001f'

/** What the structure of every database of one call shares, and what it did so far. */
export interface StructureRun {
  readonly ctx: StageContext
  /** On the task's source and target databases. */
  readonly src0: pg.Client
  readonly tgt0: pg.Client
  readonly srcMajor: number
  readonly tgtMajor: number
  readonly sharedComments: CommentMap
  /** Roles on the target (read again after the roles are migrated). */
  roles: Set<string>
  readonly databaseAcls: ReadonlyMap<number, AclInfo>
  readonly created: Record<string, number>
  alreadyDone: number
  readonly unsupported: { object: string; reason: string }[]
}

/** Connect and read what the databases share. */
export async function openStructureRun(
  ctx: StageContext,
  databases: readonly string[],
): Promise<StructureRun> {
  const src0 = await ctx.connect('source')
  const tgt0 = await ctx.connect('target')
  const oids = await src0.query<{ oid: number }>(
    `SELECT oid::int8::float8 AS oid FROM pg_database WHERE datname = ANY($1::text[])`,
    [databases],
  )
  const acls = await readAcls(
    src0,
    'pg_database',
    oids.rows.map((x) => x.oid),
  )
  return {
    ctx,
    src0,
    tgt0,
    srcMajor: (await serverVersion(src0)).major,
    tgtMajor: (await serverVersion(tgt0)).major,
    sharedComments: await readSharedComments(src0),
    roles: await targetRoles(tgt0),
    databaseAcls: new Map(acls.map((a) => [a.oid, a])),
    created: {},
    alreadyDone: 0,
    unsupported: [],
  }
}

export async function targetRoles(client: pg.Client): Promise<Set<string>> {
  const r = await client.query<{ rolname: string }>(`SELECT rolname FROM pg_roles`)
  return new Set(r.rows.map((x) => x.rolname))
}

/** Add a `runSteps` result to the run's totals. */
export function addStepsResult(run: StructureRun, r: RunStepsResult): void {
  for (const [k, n] of Object.entries(r.created)) run.created[k] = (run.created[k] ?? 0) + n
  run.alreadyDone += r.alreadyDone
}

/** `runSteps` options of one target database ('' for the roles), with its events. */
export function stepOptions(
  ctx: StageContext,
  database: string,
  keyPrefix: string,
): RunStepsOptions {
  return {
    store: ctx.store,
    taskId: ctx.taskId,
    doneKind: SCHEMA_DONE_KIND,
    keyPrefix,
    signal: ctx.signal,
    onCreated: (s: DdlStep) =>
      ctx.emit('schema:object', {
        taskId: ctx.taskId,
        database,
        kind: s.kind,
        name: s.name,
        phase: s.phase,
      }),
    onExisting: (s: DdlStep) =>
      ctx.warn(
        'PGFERRY_SCHEMA_OBJECT_EXISTS',
        `${s.kind} ${s.name} already exists on the target${database === '' ? '' : ` (database ${database})`}: kept as it is`,
        s.name,
      ),
  }
}

/** Plan the DDL of one database's manifest, with `src` and `tgt` on its source and target. */
async function planManifest(
  run: StructureRun,
  m: DatabaseManifest,
  info: DatabaseInfo | undefined,
  src: pg.Client,
  tgt: pg.Client,
): Promise<DatabasePlan> {
  const { ctx } = run
  const db = m.database
  const warn = (code: string, message: string, object: string): void =>
    ctx.warn(code, message, object)
  // Definitions are deparsed under a search_path naming the renamed schemas, and replayed under
  // one naming their new names: a reference to a renamed schema then follows the rename.
  const renamed = (db.schemas ?? []).filter((s) => s.as !== s.name)
  await setDeparseSession(
    src,
    renamed.map((s) => s.name),
  )
  await setDeparseSession(
    tgt,
    renamed.map((s) => s.as),
  )
  const languages = await tgt.query<{ lanname: string }>(`SELECT lanname FROM pg_language`)
  return planDatabase(
    await readSourceCatalog(src, run.srcMajor, m),
    {
      major: run.tgtMajor,
      roles: run.roles,
      languages: new Set(languages.rows.map((x) => x.lanname)),
      extensionVersions: await readAvailableExtensionVersions(tgt),
    },
    {
      targetDatabase: db.as,
      ownership: ctx.config.ownership,
      database: info,
      sharedComments: run.sharedComments,
      databaseAcl: info === undefined ? undefined : run.databaseAcls.get(info.oid),
      warn,
    },
  )
}

/** Report what the plan leaves out. */
function reportPlanGaps(run: StructureRun, database: string, plan: DatabasePlan): void {
  for (const u of plan.unsupported) {
    const object = `${database}: ${u.object}`
    run.ctx.warn('PGFERRY_SCHEMA_UNSUPPORTED', `${u.object}: ${u.reason}`, object)
    run.unsupported.push({ object, reason: u.reason })
  }
  for (const r of plan.missingRoles)
    run.ctx.warn(
      'PGFERRY_SCHEMA_ROLE_MISSING',
      `role ${r} does not exist on the target: ownership and grants naming it were left out`,
      r,
    )
}

/** The structure of one database's manifest on the target. */
export async function migrateDatabaseStructure(
  run: StructureRun,
  m: DatabaseManifest,
): Promise<void> {
  const { ctx } = run
  const db = m.database
  const info = await readDatabase(run.src0, run.srcMajor, db.name)
  await ensureTargetDatabase(run.tgt0, run.tgtMajor, db.as, info, (code, message, object) =>
    ctx.warn(code, message, object),
  )
  // the database's own clients, unless it is the task's (an instance can have many databases:
  // two connections per database are not held to the end)
  const src =
    db.name === ctx.config.source.database
      ? run.src0
      : await ctx.connect('source', { database: db.name })
  const tgt =
    db.as === ctx.config.target.database
      ? run.tgt0
      : await ctx.connect('target', { database: db.as })
  try {
    const plan = await planManifest(run, m, info, src, tgt)
    reportPlanGaps(run, db.name, plan)
    const options = stepOptions(ctx, db.as, `${db.as}${SCHEMA_KEY_SEP}`)
    addStepsResult(run, await runSteps(tgt, plan.preData, options))
    // the full load never runs for a structure task: its post-data marks are this stage's own
    if (ctx.config.type === 'structure')
      addStepsResult(run, await runSteps(tgt, plan.postData, options))
    else await savePostDataPlan(ctx.store, ctx.taskId, db.as, plan.postData)
  } finally {
    if (src !== run.src0) await src.end()
    if (tgt !== run.tgt0) await tgt.end()
  }
}
