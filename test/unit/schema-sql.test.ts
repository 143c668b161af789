import { describe, expect, it } from 'vitest'
import { retarget } from '../../src/schema/index-sql.js'
import { settingValue } from '../../src/schema/namespace-steps.js'
import { withOptions } from '../../src/schema/relation-steps.js'
import { StepPlan } from '../../src/schema/step-plan.js'
import { relationKey } from '../../src/schema/step-keys.js'

describe('DDL text helpers', () => {
  it('swaps the table of an index definition, with and without ONLY', () => {
    expect(retarget('CREATE INDEX i ON app.t USING btree (lower(x))', 'app.t', '"New"."t"')).toBe(
      'CREATE INDEX i ON "New"."t" USING btree (lower(x))',
    )
    expect(retarget('CREATE INDEX i ON ONLY "A b".t USING btree (k)', '"A b".t', '"x"."t"')).toBe(
      'CREATE INDEX i ON ONLY "x"."t" USING btree (k)',
    )
  })

  it('quotes reloption values and list settings element by element', () => {
    expect(withOptions(['fillfactor=70', "x=it's"], 'toast.')).toEqual([
      "toast.fillfactor='70'",
      "toast.x='it''s'",
    ])
    expect(settingValue('search_path', '"$user", app, "My Schema"')).toBe(
      "'$user', 'app', 'My Schema'",
    )
    expect(settingValue('work_mem', '8MB')).toBe("'8MB'")
  })

  it('quotes hostile names in keys', () => {
    expect(relationKey('We"ird ñ', 'select')).toBe('relation:"We""ird ñ"."select"')
  })

  it('rebuilds an ACL: revoke the defaults, grant per grantee, skip roles the target lacks', () => {
    const plan = new StepPlan('db', 'keep', new Set(['owner', 'reader']), new Map())
    const sql = plan.grants('TABLE', '"s"."t"', 'owner', {
      oid: 1,
      column: null,
      grants: [
        { grantee: 'owner', privilege: 'SELECT', grantable: false },
        { grantee: 'owner', privilege: 'INSERT', grantable: false },
        { grantee: 'reader', privilege: 'SELECT', grantable: true },
        { grantee: null, privilege: 'SELECT', grantable: false },
        { grantee: 'ghost', privilege: 'SELECT', grantable: false },
      ],
    })
    expect(sql).toEqual([
      'REVOKE ALL ON TABLE "s"."t" FROM PUBLIC',
      'REVOKE ALL ON TABLE "s"."t" FROM "owner"',
      'GRANT SELECT, INSERT ON TABLE "s"."t" TO "owner"',
      'GRANT SELECT ON TABLE "s"."t" TO "reader" WITH GRANT OPTION',
      'GRANT SELECT ON TABLE "s"."t" TO PUBLIC',
    ])
    expect(plan.missingRoles).toEqual(['ghost'])
    const none = new StepPlan('db', 'target-user', new Set(['owner']), new Map())
    expect(none.grants('TABLE', 't', 'owner', { oid: 1, column: null, grants: [] })).toEqual([])
    expect(none.owner('TABLE', 't', 'owner')).toEqual([])
  })
})
