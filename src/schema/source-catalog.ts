/**
 * Everything the structure stage reads from one source database, read once: one query per object
 * kind over the whole selection (never per table), so thousands of tables stay fast.
 */
import type pg from 'pg'
import { readAcls, readColumnAcls, type AclInfo } from '../catalog/acls.js'
import { readCollations, type CollationInfo } from '../catalog/collations.js'
import { readColumns, type ColumnInfo } from '../catalog/columns.js'
import { readComments, type CommentMap } from '../catalog/comments.js'
import { readConstraints, type ConstraintInfo } from '../catalog/constraints.js'
import { readDependEdges, type DependEdge } from '../catalog/depend-edges.js'
import { readDefaultPrivileges, type DefaultPrivilegeInfo } from '../catalog/default-privileges.js'
import { readEventTriggers, type EventTriggerInfo } from '../catalog/event-triggers.js'
import {
  readForeignDataWrappers,
  readForeignServers,
  readForeignTables,
  readUserMappings,
  type ForeignDataWrapperInfo,
  type ForeignServerInfo,
  type ForeignTableInfo,
  type UserMappingInfo,
} from '../catalog/foreign-data.js'
import { readExtensions, type ExtensionInfo } from '../catalog/installed-extensions.js'
import {
  readExtensionMemberAcls,
  type ExtensionMemberAcl,
} from '../catalog/extension-member-acls.js'
import {
  readAggregates,
  readFunctions,
  type AggregateInfo,
  type FunctionInfo,
} from '../catalog/functions.js'
import { readIndexes, type IndexInfo } from '../catalog/indexes.js'
import { readOperators, type OperatorInfo } from '../catalog/operators.js'
import { readPolicies, type PolicyInfo } from '../catalog/policies.js'
import { readRules, type RuleInfo } from '../catalog/rules.js'
import { readSchemas, type SchemaInfo } from '../catalog/schemas.js'
import { readSequences, type SequenceInfo } from '../catalog/sequences.js'
import { readStatistics, type StatisticsInfo } from '../catalog/statistics.js'
import { readRelations, type RelationInfo } from '../catalog/tables.js'
import {
  readTsConfigurations,
  readTsDictionaries,
  readTsDictionaryNames,
  type TsConfigurationInfo,
  type TsDictionaryInfo,
} from '../catalog/text-search.js'
import { readTriggers, type TriggerInfo } from '../catalog/triggers.js'
import {
  readDomainConstraints,
  readTypes,
  type DomainConstraintInfo,
  type TypeInfo,
} from '../catalog/types.js'
import { readUnsupportedObjects, type UnsupportedObject } from '../catalog/unsupported-objects.js'
import type { DatabaseObjects } from '../catalog/selection.js'

/** The source catalog of one database, limited to the selection. */
export interface SourceCatalog {
  readonly major: number
  readonly selection: DatabaseObjects
  readonly schemas: readonly SchemaInfo[]
  readonly extensions: readonly ExtensionInfo[]
  /** Extension members whose privileges differ from the extension's initial ones. */
  readonly extensionMemberAcls: readonly ExtensionMemberAcl[]
  readonly types: readonly TypeInfo[]
  readonly collations: readonly CollationInfo[]
  readonly domainConstraints: readonly DomainConstraintInfo[]
  readonly relations: ReadonlyMap<number, RelationInfo>
  readonly columns: ReadonlyMap<number, readonly ColumnInfo[]>
  readonly sequences: readonly SequenceInfo[]
  readonly constraints: readonly ConstraintInfo[]
  readonly indexes: readonly IndexInfo[]
  readonly functions: readonly FunctionInfo[]
  readonly aggregates: readonly AggregateInfo[]
  readonly triggers: readonly TriggerInfo[]
  readonly rules: readonly RuleInfo[]
  readonly policies: readonly PolicyInfo[]
  readonly statistics: readonly StatisticsInfo[]
  readonly defaultPrivileges: readonly DefaultPrivilegeInfo[]
  readonly eventTriggers: readonly EventTriggerInfo[]
  readonly operators: readonly OperatorInfo[]
  readonly tsDictionaries: readonly TsDictionaryInfo[]
  readonly tsConfigurations: readonly TsConfigurationInfo[]
  readonly tsDictionaryNames: ReadonlyMap<number, { schema: string; name: string }>
  readonly foreignDataWrappers: readonly ForeignDataWrapperInfo[]
  readonly foreignServers: readonly ForeignServerInfo[]
  readonly userMappings: readonly UserMappingInfo[]
  readonly foreignTables: readonly ForeignTableInfo[]
  readonly comments: CommentMap
  /** ACLs by catalog then oid; column ACLs by relation oid. */
  readonly acls: {
    readonly relations: ReadonlyMap<number, AclInfo>
    readonly columns: ReadonlyMap<number, readonly AclInfo[]>
    readonly functions: ReadonlyMap<number, AclInfo>
    readonly schemas: ReadonlyMap<number, AclInfo>
    readonly types: ReadonlyMap<number, AclInfo>
    readonly wrappers: ReadonlyMap<number, AclInfo>
    readonly servers: ReadonlyMap<number, AclInfo>
  }
  readonly edges: readonly DependEdge[]
  readonly unsupported: readonly UnsupportedObject[]
}

const byOid = (list: readonly AclInfo[]): Map<number, AclInfo> =>
  new Map(list.map((a) => [a.oid, a]))

function groupBy<T, K>(list: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>()
  for (const x of list) {
    const k = key(x)
    const arr = out.get(k)
    if (arr === undefined) out.set(k, [x])
    else arr.push(x)
  }
  return out
}

/** Read the source catalog for a selection. The caller has set the session's search_path. */
export async function readSourceCatalog(
  client: pg.Client,
  major: number,
  selection: DatabaseObjects,
): Promise<SourceCatalog> {
  const relOids = selection.relations.map((r) => r.oid)
  const tableOids = selection.relations.filter((r) => r.kind !== 'S').map((r) => r.oid)
  const schemaNames = selection.schemas.map((s) => s.name)
  const schemas = await readSchemas(client, schemaNames)
  const types = await readTypes(client, major, schemaNames)
  const columns = await readColumns(client, major, tableOids)
  const wrappers = await readForeignDataWrappers(client)
  const servers = await readForeignServers(client)
  return {
    major,
    selection,
    schemas,
    extensions: await readExtensions(client),
    extensionMemberAcls: await readExtensionMemberAcls(client),
    types,
    collations: await readCollations(client, major, schemaNames),
    domainConstraints: await readDomainConstraints(
      client,
      types.filter((t) => t.type === 'd').map((t) => t.oid),
    ),
    relations: await readRelations(client, major, relOids),
    columns: groupBy(columns, (c) => c.relation),
    sequences: await readSequences(client, relOids),
    constraints: await readConstraints(client, major, tableOids),
    indexes: await readIndexes(client, tableOids),
    functions: await readFunctions(
      client,
      selection.functions.filter((f) => f.kind !== 'a').map((f) => f.oid),
    ),
    aggregates: await readAggregates(
      client,
      major,
      selection.functions.filter((f) => f.kind === 'a').map((f) => f.oid),
    ),
    triggers: await readTriggers(client, major, tableOids),
    rules: await readRules(client, tableOids),
    policies: await readPolicies(client, tableOids),
    statistics: await readStatistics(client, major, tableOids),
    defaultPrivileges: await readDefaultPrivileges(client),
    eventTriggers: await readEventTriggers(client),
    operators: await readOperators(client, schemaNames),
    tsDictionaries: await readTsDictionaries(client, schemaNames),
    tsConfigurations: await readTsConfigurations(client, schemaNames),
    tsDictionaryNames: await readTsDictionaryNames(client),
    foreignDataWrappers: wrappers,
    foreignServers: servers,
    userMappings: await readUserMappings(client),
    foreignTables: await readForeignTables(
      client,
      selection.relations.filter((r) => r.kind === 'f').map((r) => r.oid),
    ),
    comments: await readComments(client),
    acls: await readSourceAcls(client, selection, schemas, types, wrappers, servers),
    edges: await readDependEdges(client),
    unsupported: await readUnsupportedObjects(client, schemaNames),
  }
}

/** The privileges of the selected objects and of the schemas, types and foreign data they use. */
async function readSourceAcls(
  client: pg.Client,
  selection: DatabaseObjects,
  schemas: SourceCatalog['schemas'],
  types: SourceCatalog['types'],
  wrappers: SourceCatalog['foreignDataWrappers'],
  servers: SourceCatalog['foreignServers'],
): Promise<SourceCatalog['acls']> {
  const aclsOf = async (
    catalog: Parameters<typeof readAcls>[1],
    oids: readonly number[],
  ): Promise<Map<number, AclInfo>> => byOid(await readAcls(client, catalog, oids))
  const tableOids = selection.relations.filter((r) => r.kind !== 'S').map((r) => r.oid)
  return {
    relations: await aclsOf(
      'pg_class',
      selection.relations.map((r) => r.oid),
    ),
    columns: groupBy(await readColumnAcls(client, tableOids), (a) => a.oid),
    functions: await aclsOf(
      'pg_proc',
      selection.functions.map((f) => f.oid),
    ),
    schemas: await aclsOf(
      'pg_namespace',
      schemas.map((s) => s.oid),
    ),
    types: await aclsOf(
      'pg_type',
      types.map((t) => t.oid),
    ),
    wrappers: await aclsOf(
      'pg_foreign_data_wrapper',
      wrappers.map((w) => w.oid),
    ),
    servers: await aclsOf(
      'pg_foreign_server',
      servers.map((s) => s.oid),
    ),
  }
}
