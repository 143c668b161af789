import { describe, expect, it } from 'vitest'
import { RelationPlan } from '../../src/apply/relation-plan.js'
import type { TargetColumn, TargetTable } from '../../src/apply/target-table.js'
import type { SourceColumns } from '../../src/catalog/column-names.js'
import { originName } from '../../src/apply/apply-progress.js'
import { resolveApplyOptions, DEFAULT_BATCH_ROWS } from '../../src/apply/apply-options.js'
import { isPgferryError } from '../../src/errors.js'
import { MessageType, type RelationMessage } from '../../src/wal/pgoutput-messages.js'

const INT4 = 23
const TEXT = 25

function relation(
  columns: [string, number, boolean][],
  identity: 'd' | 'f' = 'd',
): RelationMessage {
  return {
    type: MessageType.Relation,
    xid: undefined,
    relationOid: 16500,
    schema: 'public',
    name: 'orders',
    replicaIdentity: identity,
    columns: columns.map(([name, typeOid, isKey]) => ({ name, typeOid, typeMod: -1, isKey })),
  }
}

function target(columns: [string, string, number, boolean?][]): TargetColumn[] {
  return columns.map(([name, type, typeOid, generated]) => ({
    name,
    type,
    typeOid,
    typeMod: -1,
    generated: generated === true,
    identity: '',
    unique: false,
    indexed: false,
  }))
}

/** The source's columns now: `slots`, typed as the target's columns of the same name. */
function now(slots: (string | null)[], types: Record<string, number> = {}): SourceColumns {
  const map = new Map<string, { typeOid: number; typeMod: number }>()
  for (const name of slots) {
    if (name === null) continue
    const t = TARGET.columns.find((c) => c.name === name)
    map.set(name, { typeOid: types[name] ?? t?.typeOid ?? TEXT, typeMod: -1 })
  }
  return { slots, types: map }
}

const TARGET: TargetTable = {
  partitioned: false,
  root: undefined,
  columns: target([
    ['id', 'integer', INT4],
    ['note', 'text', TEXT],
    ['total2', 'integer', INT4, true],
  ]),
}

describe('RelationPlan', () => {
  it('maps published columns to target types and keys, ignoring generated target columns', () => {
    const plan = new RelationPlan(
      relation([
        ['id', INT4, true],
        ['note', TEXT, false],
      ]),
      'sales',
      TARGET,
      0n,
    )
    expect(plan.target).toBe('"sales"."orders"')
    // an inheritance parent's statements never reach its children; a partitioned table's must
    expect(plan.only).toBe('ONLY "sales"."orders"')
    const root = new RelationPlan(
      relation([['id', INT4, true]]),
      'sales',
      { partitioned: true, root: undefined, columns: TARGET.columns.slice(0, 1) },
      0n,
    )
    expect(root.only).toBe('"sales"."orders"')
    expect(plan.types).toEqual(['integer', 'text'])
    expect(plan.keys).toEqual([0])
    expect(plan.isKey(0)).toBe(true)
    expect(plan.isKey(1)).toBe(false)
    expect(plan.keyMatch(3)).toBe('"id" = $3::integer')
  })

  it('reports DDL when a column was added, dropped or retyped on the source', () => {
    const cases: [string, number, boolean][][] = [
      [
        ['id', INT4, true],
        ['note', TEXT, false],
        ['extra', INT4, false],
      ],
      [['id', INT4, true]],
      [
        ['id', INT4, true],
        ['note', INT4, false],
      ],
    ]
    for (const columns of cases) {
      let error: unknown
      try {
        new RelationPlan(relation(columns), 'public', TARGET, 0n)
      } catch (e) {
        error = e
      }
      expect(isPgferryError(error, 'PGFERRY_DDL_DETECTED')).toBe(true)
      expect((error as Error).message).toContain('public.orders')
    }
  })

  it('replayed after a DDL applied to both sides: a column added since gets the target default, one dropped since is not written', () => {
    // the message predates ADD COLUMN note: the source has note now
    const older = new RelationPlan(
      relation([['id', INT4, true]]),
      'public',
      TARGET,
      0n,
      now(['id', 'note']),
    )
    expect(older.written).toEqual([0])
    // the message predates DROP COLUMN gone, which the target has dropped too
    const dropped = new RelationPlan(
      relation([
        ['id', INT4, true],
        ['gone', INT4, false],
        ['note', TEXT, false],
      ]),
      'public',
      TARGET,
      0n,
      now(['id', null, 'note']),
    )
    expect(dropped.written).toEqual([0, 2])
    expect(dropped.isWritten(1)).toBe(false)
    // renamed since (the target too): written under the new name
    const renamed = new RelationPlan(
      relation([
        ['id', INT4, true],
        ['memo', TEXT, false],
      ]),
      'public',
      TARGET,
      0n,
      now(['id', 'note']),
    )
    expect(renamed.columns).toEqual(['"id"', '"note"'])
    expect(renamed.written).toEqual([0, 1])
    // a target column the source does not have now is still DDL, and so is a dropped key column
    for (const [cols, slots] of [
      [[['id', INT4, true]], ['id']],
      [
        [
          ['id', INT4, true],
          ['k2', INT4, true],
          ['note', TEXT, false],
        ],
        ['id', null, 'note'],
      ],
    ] as [[string, number, boolean][], (string | null)[]][]) {
      expect(() => new RelationPlan(relation(cols), 'public', TARGET, 0n, now(slots))).toThrow(
        /DDL detected/,
      )
    }
  })

  it('replayed after a retype applied to both sides: exact widenings are written, others stop with another fix', () => {
    const VARCHAR = 1043
    const FLOAT8 = 701
    const message = (noteType: number): RelationMessage =>
      relation([
        ['id', INT4, true],
        ['note', noteType, false],
      ])
    // varchar to text: the old text is the new value
    const widened = new RelationPlan(message(VARCHAR), 'public', TARGET, 0n, now(['id', 'note']))
    expect(widened.written).toEqual([0, 1])
    expect(RelationPlan.columnsDiffer(message(VARCHAR), TARGET)).toBe(true)
    // float8 to text: the cast and the text differ; the same DDL again would not help
    let error: unknown
    try {
      new RelationPlan(message(FLOAT8), 'public', TARGET, 0n, now(['id', 'note']))
    } catch (e) {
      error = e
    }
    expect(isPgferryError(error, 'PGFERRY_DDL_DETECTED')).toBe(true)
    expect((error as { fix?: string }).fix).toContain('migrate this database again')
    // the source still has varchar: the target lacks the DDL, and that is the fix
    try {
      new RelationPlan(
        message(VARCHAR),
        'public',
        TARGET,
        0n,
        now(['id', 'note'], { note: VARCHAR }),
      )
    } catch (e) {
      error = e
    }
    expect((error as { fix?: string }).fix).toContain('apply the same DDL to the target')
  })

  it('accepts a resent identical Relation message and refuses a changed one', () => {
    const cols: [string, number, boolean][] = [
      ['id', INT4, true],
      ['note', TEXT, false],
    ]
    const plan = new RelationPlan(relation(cols), 'public', TARGET, 0n)
    expect(plan.sameShape(relation(cols))).toBe(true)
    expect(plan.sameShape(relation(cols, 'f'))).toBe(false)
    expect(
      plan.sameShape(
        relation([
          ['id', INT4, true],
          ['note2', TEXT, false],
        ]),
      ),
    ).toBe(false)
  })

  it('builds a statement once per shape', () => {
    const plan = new RelationPlan(
      relation([
        ['id', INT4, true],
        ['note', TEXT, false],
      ]),
      'public',
      TARGET,
      0n,
    )
    let built = 0
    const a = plan.statement('X', () => `SELECT ${++built}`)
    const b = plan.statement('X', () => `SELECT ${++built}`)
    expect(a).toBe(b)
    expect(built).toBe(1)
  })
})

describe('apply options and names', () => {
  it('defaults and overrides', () => {
    expect(resolveApplyOptions({}).batchRows).toBe(DEFAULT_BATCH_ROWS)
    expect(resolveApplyOptions({ batchRows: 10 }).batchRows).toBe(10)
    // an invalid value is refused, not replaced by the default (issue 12; apply-options.test.ts)
    expect(() => resolveApplyOptions({ batchMs: -1 })).toThrow(/batchMs/)
  })

  it('origin names are stable, distinct per database and fit a name', () => {
    const a = originName('Task-ÄÖ 1234567890123456789012345678901234567890', 'shop')
    expect(a).toBe(originName('Task-ÄÖ 1234567890123456789012345678901234567890', 'shop'))
    expect(a).not.toBe(originName('Task-ÄÖ 1234567890123456789012345678901234567890', 'shop2'))
    expect(a.length).toBeLessThanOrEqual(63)
    expect(a).toMatch(/^[a-z0-9_]+$/)
  })
})
