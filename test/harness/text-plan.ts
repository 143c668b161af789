/** A RelationPlan of text columns with no server behind it, for unit tests of the apply's writer. */
import { RelationPlan } from '../../src/apply/relation-plan.js'
import { MessageType, type ReplicaIdentity } from '../../src/wal/pgoutput-messages.js'

/**
 * A plan of table `name` with text columns `names` as both sides have them: REPLICA IDENTITY FULL
 * (every column in the identity) or the first column as the key.
 */
export function textPlan(
  name: string,
  relationOid: number,
  identity: ReplicaIdentity,
  names: readonly string[],
): RelationPlan {
  return new RelationPlan(
    {
      type: MessageType.Relation,
      xid: undefined,
      relationOid,
      schema: 'public',
      name,
      replicaIdentity: identity,
      columns: names.map((n, i) => ({
        name: n,
        typeOid: 25,
        typeMod: -1,
        isKey: identity === 'f' || i === 0,
      })),
    },
    'public',
    {
      partitioned: false,
      rules: false,
      root: undefined,
      columns: names.map((n) => ({
        name: n,
        type: 'text',
        typeOid: 25,
        typeMod: -1,
        generated: false,
        identity: '',
        unique: false,
        indexed: false,
        textEqual: true,
      })),
    },
    0n,
  )
}
