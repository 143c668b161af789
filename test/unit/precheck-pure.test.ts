import { describe, expect, it } from 'vitest'
import {
  functionBodyReferences,
  searchPathOf,
  type ScannedRelation,
} from '../../src/catalog/function-body-references.js'
import { extendDatabase } from '../../src/catalog/dependencies.js'
import { toObjectSelection } from '../../src/precheck/closure-selection.js'
import { fixText, found, statements } from '../../src/precheck/precheck-item.js'
import { dropStatement } from '../../src/precheck/name-conflicts.js'
import { formatBytes } from '../../src/precheck/free-space.js'
import { formatRate, formatSeconds, transferVerdict } from '../../src/precheck/bandwidth.js'
import {
  PROBE_FIRST_BYTES,
  PROBE_MAX_BYTES,
  PROBE_MS,
  PROBE_ROW_BYTES,
  nextProbeBytes,
} from '../../src/precheck/measure-bandwidth.js'
import { registerSecret } from '../../src/redact.js'
import { resolveConnection } from '../../src/task/resolve-connection.js'
import { resolveObjects } from '../../src/task/resolve-objects.js'

const rel = (oid: number, schema: string, name: string): ScannedRelation => ({ oid, schema, name })
const relations = new Map(
  [
    rel(1, 'app', 'orders'),
    rel(2, 'public', 'users'),
    rel(3, 'app', 'Line Item'),
    rel(4, 'other', 'orders'),
  ].map((r) => [`${r.schema}.${r.name}`, r]),
)

describe('functionBodyReferences', () => {
  it('resolves qualified, quoted and unqualified names after FROM/JOIN/INTO/UPDATE', () => {
    const body = `BEGIN
      INSERT INTO "Line Item" VALUES (1);  -- quoted, own schema
      UPDATE Orders SET x = 1;             -- unquoted folds to lower case
      SELECT * FROM other . orders JOIN users u ON true;
    END`
    const found = functionBodyReferences(body, searchPathOf(null, 'app'), relations)
    expect(found.map((r) => r.oid).sort()).toEqual([1, 2, 3, 4])
  })

  it('ignores comments, unknown names, and quoted names of another case', () => {
    const body = `-- FROM orders\n/* JOIN users */ SELECT 1 FROM "ORDERS", nowhere`
    expect(functionBodyReferences(body, ['app', 'public'], relations)).toEqual([])
  })

  it('follows the function search_path setting instead of its own schema', () => {
    expect(searchPathOf(['search_path=other, "$user"'], 'app')).toEqual(['other'])
    const found = functionBodyReferences(
      'SELECT 1 FROM orders',
      searchPathOf(['search_path=other'], 'app'),
      relations,
    )
    expect(found.map((r) => r.oid)).toEqual([4])
  })
})

describe('closure → ObjectSelection', () => {
  const source = resolveConnection({ host: 'h', port: 5432, user: 'u', database: 'db' }, 'source')
  it('round-trips through resolveObjects, with added names and a new schema', () => {
    const objects = resolveObjects(
      {
        databases: {
          shop: {
            as: 'shop2',
            schemas: { app: { tables: ['b'], as: 'app2' }, all: { exclude: ['x', 'y'] } },
          },
          other: true,
        },
      },
      source,
    )
    const db = objects.databases![0]!
    const extended = extendDatabase(db, [
      {
        object: 'app.b',
        needs: 'app.a',
        via: 'foreign-key',
        needsSchema: 'app',
        needsName: 'a',
        needsKind: 'r',
      },
      {
        object: 'app.b',
        needs: 'all.x',
        via: 'foreign-key',
        needsSchema: 'all',
        needsName: 'x',
        needsKind: 'r',
      },
      {
        object: 'app.b',
        needs: 'lib.f()',
        via: 'trigger',
        needsSchema: 'lib',
        needsName: 'f',
        needsKind: 'function',
      },
    ])
    const selection = toObjectSelection([extended, objects.databases![1]!])
    expect(selection).toEqual({
      databases: {
        shop: {
          as: 'shop2',
          schemas: {
            app: { tables: ['b', 'a'], as: 'app2' },
            all: { exclude: ['y'] },
            lib: { functions: ['f'] },
          },
        },
        other: true,
      },
    })
    // what createTask would make of it is the same selection again
    const again = resolveObjects(selection, source)
    expect(toObjectSelection(again.databases!)).toEqual(selection)
  })

  it('leaves a whole-database selection alone', () => {
    const db = { name: 'd', as: 'd', schemas: undefined }
    expect(extendDatabase(db, [])).toBe(db)
  })
})

describe('fix text', () => {
  it('groups statements by where they run and says when a restart is needed', () => {
    const text = fixText([
      ...statements('source', undefined, [`ALTER SYSTEM SET wal_level = 'logical';`], true),
      ...statements('source', 'shop', [
        'GRANT USAGE ON SCHEMA "a" TO "u";',
        'GRANT SELECT ON TABLE "a"."t" TO "u";',
      ]),
    ])
    expect(text).toBe(
      [
        '-- on the source:',
        `ALTER SYSTEM SET wal_level = 'logical';`,
        '-- restart required: restart the source server for this to take effect',
        '-- on the source, in database "shop":',
        'GRANT USAGE ON SCHEMA "a" TO "u";',
        'GRANT SELECT ON TABLE "a"."t" TO "u";',
      ].join('\n'),
    )
  })

  it('never carries a registered password into a message or fix', () => {
    registerSecret('s3cret-pass-word')
    const it = found(
      'source.privileges',
      't',
      'fail',
      'user with s3cret-pass-word',
      'use s3cret-pass-word',
    )
    expect(JSON.stringify(it)).not.toContain('s3cret-pass-word')
  })

  it('drops each kind with its own statement, quoting every identifier', () => {
    expect(dropStatement({ schema: 'a b', name: 'V"x', kind: 'v', args: '' })).toBe(
      'DROP VIEW IF EXISTS "a b"."V""x";',
    )
    expect(dropStatement({ schema: 's', name: 'f', kind: 'p()', args: 'integer, text' })).toBe(
      'DROP PROCEDURE IF EXISTS "s"."f"(integer, text);',
    )
    expect(dropStatement({ schema: 's', name: 'd', kind: 'domain', args: '' })).toBe(
      'DROP DOMAIN IF EXISTS "s"."d";',
    )
    expect(formatBytes(1536)).toBe('1.5 kB')
  })
})

describe('source.bandwidth', () => {
  const GB = 1024 ** 3
  const MB = 1024 ** 2

  it('estimates bytes / rate and holds it against the budget, inclusive', () => {
    expect(transferVerdict(10 * GB, 10 * MB, 3600)).toEqual({ seconds: 1024, withinBudget: true })
    expect(transferVerdict(100 * GB, 10 * MB, 3600)).toEqual({
      seconds: 10240,
      withinBudget: false,
    })
    expect(transferVerdict(3600, 1, 3600).withinBudget).toBe(true)
    expect(transferVerdict(3601, 1, 3600).withinBudget).toBe(false)
    // nothing to copy fits any budget, even at no measured rate; a zero rate fits none
    expect(transferVerdict(0, 0, 0)).toEqual({ seconds: 0, withinBudget: true })
    expect(transferVerdict(1, 0, 3600)).toEqual({ seconds: Infinity, withinBudget: false })
    expect(transferVerdict(1, 1e9, 0).withinBudget).toBe(false)
  })

  it('formats rates and durations for messages', () => {
    expect(formatRate(850.2 * MB)).toBe('850.2 MB/s')
    expect(formatRate(100)).toBe('100 bytes/s')
    expect(formatSeconds(0.04)).toBe('0.0 s')
    expect(formatSeconds(52.4)).toBe('52 s')
    expect(formatSeconds(1024)).toBe('17 min')
    expect(formatSeconds(10240)).toBe('2 h 51 min')
    expect(formatSeconds(Infinity)).toBe('forever')
  })

  it('sizes each probe COPY to end within the time left and stops at the byte cap', () => {
    expect(nextProbeBytes(0, 0, PROBE_MS)).toBe(PROBE_FIRST_BYTES)
    // 1 MB/s so far, 1 s left: 80 % of what fits
    expect(nextProbeBytes(MB, 1000, 1000)).toBe(Math.floor(MB * 0.8))
    // loopback speed: capped by what is left of the byte budget
    expect(nextProbeBytes(PROBE_FIRST_BYTES, 1, PROBE_MS - 1)).toBe(
      PROBE_MAX_BYTES - PROBE_FIRST_BYTES,
    )
    expect(nextProbeBytes(PROBE_MAX_BYTES, 50, 1000)).toBe(0)
    expect(nextProbeBytes(MB, 500, 0)).toBe(0)
    // less than one generated row fits: stop rather than pay a round trip for nothing
    expect(nextProbeBytes(PROBE_FIRST_BYTES, 1400, 100)).toBe(0)
    expect(nextProbeBytes(PROBE_FIRST_BYTES, 100, 100)).toBeGreaterThanOrEqual(PROBE_ROW_BYTES)
  })
})
