/**
 * From one source database's catalog to the sorted DDL steps of its target database, split into
 * pre-data and post-data.
 */
import type { AclInfo } from '../catalog/acls.js'
import type { CommentMap } from '../catalog/comments.js'
import type { DatabaseInfo } from '../catalog/databases.js'
import type { DdlStep } from './ddl-step.js'
import { addDefaultPrivilegeSteps } from './default-privilege-steps.js'
import { addExtensionAclSteps } from './extension-acl-steps.js'
import { addForeignDataSteps } from './foreign-steps.js'
import { addKeySteps } from './key-steps.js'
import { addStatisticsSteps } from './statistics-steps.js'
import { addOperatorSteps } from './operator-steps.js'
import { addDatabaseStep, addExtensionSteps, addSchemaSteps } from './namespace-steps.js'
import { applyEdges, sortSteps, splitPhases } from './order-steps.js'
import { addRelationSteps } from './relation-steps.js'
import { addRoutineSteps } from './routine-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { StepPlan, type Ownership } from './step-plan.js'
import { addEventTriggerSteps, addTriggerSteps } from './trigger-steps.js'
import { addTextSearchSteps } from './text-search-steps.js'
import { addCollationSteps, addTypeSteps } from './type-steps.js'
import { addViewSteps } from './view-steps.js'

/** What the target offers the plan. */
export interface TargetFacts {
  readonly major: number
  readonly roles: ReadonlySet<string>
  readonly languages: ReadonlySet<string>
  readonly extensionVersions: ReadonlyMap<string, ReadonlySet<string>>
}

/** A database's plan. */
export interface DatabasePlan {
  readonly preData: DdlStep[]
  readonly postData: DdlStep[]
  readonly unsupported: { object: string; reason: string }[]
  /** Owners and grantees that do not exist on the target (their OWNER TO / GRANT was left out). */
  readonly missingRoles: readonly string[]
}

/** Plan one database. */
export function planDatabase(
  cat: SourceCatalog,
  target: TargetFacts,
  options: {
    readonly targetDatabase: string
    readonly ownership: Ownership
    readonly database: DatabaseInfo | undefined
    readonly sharedComments: CommentMap
    readonly databaseAcl: AclInfo | undefined
    readonly warn: (code: string, message: string, object: string) => void
  },
): DatabasePlan {
  const plan = new StepPlan(options.targetDatabase, options.ownership, target.roles, cat.comments)
  if (options.database !== undefined)
    addDatabaseStep(
      plan,
      options.database,
      options.targetDatabase,
      options.sharedComments,
      options.databaseAcl,
    )
  addSchemaSteps(plan, cat)
  addExtensionSteps(plan, cat, target.extensionVersions, options.warn)
  addExtensionAclSteps(plan, cat)
  addCollationSteps(plan, cat)
  addTypeSteps(plan, cat, target.major)
  addTextSearchSteps(plan, cat)
  addRoutineSteps(plan, cat, target.languages, target.major)
  addOperatorSteps(plan, cat)
  addRelationSteps(plan, cat)
  addForeignDataSteps(plan, cat, options.warn)
  addViewSteps(plan, cat)
  addKeySteps(plan, cat)
  addStatisticsSteps(plan, cat)
  addTriggerSteps(plan, cat)
  addEventTriggerSteps(plan, cat)
  addDefaultPrivilegeSteps(
    plan,
    cat.defaultPrivileges,
    new Map(cat.selection.schemas.map((s) => [s.name, s.as])),
  )
  applyEdges(plan, cat.edges)
  splitPhases(plan)
  const sorted = sortSteps([...plan.steps.values()], (s) =>
    options.warn(
      'PGFERRY_SCHEMA_DEPENDENCY_CYCLE',
      `a dependency cycle was broken at ${s.kind} ${s.name}`,
      s.name,
    ),
  )
  const byKey = new Map(plan.finish().map((s) => [s.key, s]))
  const steps = sorted.map((s) => byKey.get(s.key)).filter((s): s is DdlStep => s !== undefined)
  const postKeys = new Set(steps.filter((s) => s.phase === 'post-data').map((s) => s.key))
  for (const u of cat.unsupported) plan.unsupportedObject(`${u.kind} ${u.name}`, 'not migrated yet')
  return {
    preData: steps.filter((s) => s.phase === 'pre-data'),
    // a post-data step's dependencies are limited to post-data steps: pre-data is done before the load
    postData: steps
      .filter((s) => s.phase === 'post-data')
      .map((s) => ({
        ...s,
        // an event trigger fires on DDL: it comes after every other post-data step, whoever runs them
        dependsOn:
          s.kind === 'event-trigger'
            ? [...postKeys].filter((k) => !k.startsWith('event-trigger:'))
            : s.dependsOn.filter((d) => postKeys.has(d)),
      })),
    unsupported: plan.unsupported,
    missingRoles: plan.missingRoles,
  }
}
