/**
 * The texts a REPLICA IDENTITY FULL run and a COPY'd INSERT run send (issue 11): which columns a
 * FULL run matches by their type, and COPY's text-format escapes. The servers' side of both is in
 * test/integration/set-based-apply.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { RelationPlan } from '../../src/apply/relation-plan.js'
import type { TargetColumn } from '../../src/apply/target-table.js'
import { fullRunSql } from '../../src/apply/full-run-sql.js'
import { copyRows } from '../../src/apply/insert-run-copy.js'
import type { ChangeRun } from '../../src/apply/change-run.js'
import { MessageType, type RelationMessage } from '../../src/wal/pgoutput-messages.js'

const RELATION: RelationMessage = {
  type: MessageType.Relation,
  xid: undefined,
  relationOid: 16600,
  schema: 'public',
  name: 'ft',
  replicaIdentity: 'f',
  columns: [
    { name: 'i', typeOid: 23, typeMod: -1, isKey: true },
    { name: 'ts', typeOid: 1184, typeMod: -1, isKey: true },
  ],
}

function column(name: string, type: string, typeOid: number, textEqual: boolean): TargetColumn {
  const base = { typeMod: -1, generated: false, identity: '', unique: false, indexed: false }
  return { name, type, typeOid, textEqual, ...base }
}

const PLAN = new RelationPlan(
  RELATION,
  'public',
  {
    partitioned: false,
    rules: false,
    root: undefined,
    columns: [
      column('i', 'integer', 23, true),
      column('ts', 'timestamp with time zone', 1184, false),
    ],
  },
  0n,
)

describe('FULL run statements', () => {
  it('match a typed column by its value and the others by their text, in the join and the row numbering', () => {
    const typed = fullRunSql(PLAN, 'FD:vv', [], [0, 1], undefined, [true, false]).text
    expect(typed).toContain('u.o0::integer AS v0')
    expect(typed).toContain('"i" AS v0')
    expect(typed).toContain('r.v0 = t.v0')
    expect(typed).not.toContain('z0')
    expect(typed).toContain(`coalesce((u.o1::timestamp with time zone)::text, '') AS v1`)
    expect(typed).toContain('r.z1 = t.z1')
    // the rows found are reached again by a TID scan, not by a second scan of the table
    expect(typed).toContain('d.ctid = ANY(ARRAY(SELECT tid FROM m))')
    // a run with a NULL in the typed column: the text pair, as a statement of its own
    const text = fullRunSql(PLAN, 'FD:vv', [], [0, 1], undefined, [false, false])
    expect(text.text).toContain(`coalesce("i"::text, '') AS v0`)
    expect(text.name).not.toBe(fullRunSql(PLAN, 'FD:vv', [], [0, 1], undefined, [true, false]).name)
  })
})

describe('COPY rows', () => {
  it('escape backslash, newline, carriage return and tab; NULL is \\N, an empty string stays empty', () => {
    const run: ChangeRun = {
      kind: 'I',
      plan: PLAN,
      sets: [],
      shape: 'IN',
      match: [],
      columns: [
        ['a\tb', '\\N', ''],
        [null, 'x\r\ny\\', '\\.'],
      ],
      rows: 3,
      bytes: 0,
      seen: undefined,
    }
    expect(copyRows(run).toString()).toBe('a\\tb\t\\N\n\\\\N\tx\\r\\ny\\\\\n\t\\\\.\n')
  })
})
