/**
 * The plan of one target database while it is being built: DDL steps by key, a map from source
 * catalog objects to the step that creates them (so `pg_depend` edges become step dependencies),
 * and the shared helpers every builder uses for ownership, grants and comments.
 */
import type { AclInfo, Grant } from '../catalog/acls.js'
import { commentKey, type CommentMap } from '../catalog/comments.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import type { DdlStep } from './ddl-step.js'

/** `keep`: owners and grants as on the source; `target-user`: everything owned by the target user, no grants. */
export type Ownership = 'keep' | 'target-user'

/** Creation order of kinds when dependencies leave a choice; lower first. */
export const KIND_PRIORITY: Readonly<Record<string, number>> = {
  role: 0,
  database: 1,
  schema: 2,
  extension: 3,
  'foreign-data-wrapper': 3,
  'foreign-server': 3,
  'user-mapping': 3,
  collation: 4,
  type: 4,
  'text-search-dictionary': 4,
  'text-search-configuration': 4,
  function: 5,
  aggregate: 6,
  operator: 6,
  sequence: 7,
  table: 8,
  'foreign-table': 8,
  view: 9,
  'materialized-view': 9,
  'sequence-owned-by': 10,
  'default-privileges': 11,
  constraint: 20,
  index: 21,
  'index-attach': 22,
  'foreign-key': 23,
  'foreign-key-validate': 23,
  trigger: 24,
  rule: 25,
  policy: 26,
  'row-security': 27,
  'replica-identity': 28,
  'matview-refresh': 29,
  statistics: 30,
  'event-trigger': 40,
}

/** A step while the plan is assembled. */
export interface PlanStep {
  key: string
  kind: string
  name: string
  phase: 'pre-data' | 'post-data'
  dependsOn: Set<string>
  relations: Set<number>
  sql: string[]
  /** Literals in `sql` that hold secrets (user-mapping option values): masked wherever sql is shown. */
  secrets: string[]
  transactional: boolean
}

/** What the builders share while planning one target database. */
export class StepPlan {
  readonly steps = new Map<string, PlanStep>()
  readonly unsupported: { object: string; reason: string }[] = []
  readonly #refs = new Map<string, string>()
  readonly #missingRoles = new Set<string>()

  constructor(
    readonly database: string,
    readonly ownership: Ownership,
    /** Roles that exist on the target (or will, for `instance`). */
    readonly targetRoles: ReadonlySet<string>,
    readonly comments: CommentMap,
  ) {}

  /** Add a step (or return the existing one with that key). */
  add(
    key: string,
    kind: string,
    name: string,
    phase: PlanStep['phase'],
    sql: readonly string[],
    options: {
      dependsOn?: readonly string[]
      relations?: readonly number[]
      transactional?: boolean
      secrets?: readonly string[]
    } = {},
  ): PlanStep {
    const existing = this.steps.get(key)
    if (existing !== undefined) {
      existing.sql.push(...sql)
      existing.secrets.push(...(options.secrets ?? []))
      return existing
    }
    const step: PlanStep = {
      key,
      kind,
      name,
      phase,
      dependsOn: new Set(options.dependsOn ?? []),
      relations: new Set(options.relations ?? []),
      sql: [...sql],
      secrets: [...(options.secrets ?? [])],
      transactional: options.transactional ?? true,
    }
    this.steps.set(key, step)
    return step
  }

  /** Record that the source object `catalog:oid` is created by step `key`. */
  ref(catalog: string, oid: number, key: string): void {
    this.#refs.set(`${catalog}:${oid}`, key)
  }

  /** The step that creates a source object, if it is part of this plan. */
  stepOf(catalog: string, oid: number): string | undefined {
    return this.#refs.get(`${catalog}:${oid}`)
  }

  /** Report an object pgferry does not create. */
  unsupportedObject(object: string, reason: string): void {
    this.unsupported.push({ object, reason })
  }

  /** Roles named as owners or grantees that do not exist on the target. */
  get missingRoles(): readonly string[] {
    return [...this.#missingRoles]
  }

  #roleUsable(role: string): boolean {
    if (this.targetRoles.has(role)) return true
    this.#missingRoles.add(role)
    return false
  }

  /** `ALTER <kind> <name> OWNER TO <role>`, unless ownership is `target-user` or the role is missing. */
  owner(keyword: string, name: string, role: string): string[] {
    if (this.ownership !== 'keep' || !this.#roleUsable(role)) return []
    return [`ALTER ${keyword} ${name} OWNER TO ${quoteIdent(role)}`]
  }

  /** Statements that give an object the source's ACL (nothing when the ACL is the default). */
  grants(keyword: string, name: string, owner: string, acl: AclInfo | undefined): string[] {
    if (this.ownership !== 'keep' || acl === undefined) return []
    const out: string[] = []
    if (acl.column === null) {
      out.push(`REVOKE ALL ON ${keyword} ${name} FROM PUBLIC`)
      if (this.targetRoles.has(owner))
        out.push(`REVOKE ALL ON ${keyword} ${name} FROM ${quoteIdent(owner)}`)
    }
    const groups = new Map<
      string,
      { grantee: string | null; grantable: boolean; privs: string[] }
    >()
    for (const g of acl.grants) {
      if (g.grantee !== null && !this.#roleUsable(g.grantee)) continue
      const k = `${g.grantee ?? ''}\u0000${String(g.grantable)}`
      let e = groups.get(k)
      if (e === undefined)
        groups.set(k, (e = { grantee: g.grantee, grantable: g.grantable, privs: [] }))
      e.privs.push(privilegeSql(g, acl.column))
    }
    for (const e of groups.values()) {
      const to = e.grantee === null ? 'PUBLIC' : quoteIdent(e.grantee)
      out.push(
        `GRANT ${e.privs.join(', ')} ON ${keyword} ${name} TO ${to}${e.grantable ? ' WITH GRANT OPTION' : ''}`,
      )
    }
    return out
  }

  /** `COMMENT ON <kind> <name> IS …` when the source object has a comment. */
  comment(keyword: string, name: string, catalog: string, oid: number, subId = 0): string[] {
    const text = this.comments.get(commentKey(catalog, oid, subId))
    return text === undefined ? [] : [`COMMENT ON ${keyword} ${name} IS ${quoteLiteral(text)}`]
  }

  /** The finished steps, dependencies limited to steps of this plan. */
  finish(): DdlStep[] {
    return [...this.steps.values()].map((s) => toDdlStep(s, this.steps))
  }
}

function privilegeSql(g: Grant, column: string | null): string {
  return column === null ? g.privilege : `${g.privilege} (${quoteIdent(column)})`
}

function toDdlStep(s: PlanStep, all: ReadonlyMap<string, PlanStep>): DdlStep {
  return {
    key: s.key,
    kind: s.kind,
    name: s.name,
    phase: s.phase,
    dependsOn: [...s.dependsOn].filter((k) => k !== s.key && all.has(k)),
    relations: [...s.relations],
    sql: s.sql,
    ...(s.secrets.length > 0 ? { secrets: s.secrets } : {}),
    ...(s.transactional ? {} : { transactional: false }),
  }
}
