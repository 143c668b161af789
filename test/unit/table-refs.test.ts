import { describe, expect, it } from 'vitest'
import { checkTableRefs, splitQualifiedName, tableRefText } from '../../src/manifest/table-refs.js'

describe('addTables names', () => {
  it('splits on the dots outside double quotes, a doubled quote inside being one quote', () => {
    expect(splitQualifiedName('public.orders')).toEqual(['public', 'orders'])
    expect(splitQualifiedName('"my.schema"."t.1"')).toEqual(['my.schema', 't.1'])
    expect(splitQualifiedName('db."a""b".T')).toEqual(['db', 'a"b', 'T'])
  })

  it('refuses an unclosed quote, an empty part, or text after a closing quote', () => {
    for (const bad of ['"my.schema.t', 'public.', '.t', 'a..b', '"a"b.c', 'a"b".c'])
      expect(splitQualifiedName(bad)).toBeUndefined()
  })

  it('the text a warning suggests reads back as the same parts', () => {
    for (const [schema, name] of [
      ['public', 'orders'],
      ['my.schema', 't.1'],
      ['q"s', 'x'],
    ] as const)
      expect(splitQualifiedName(tableRefText(schema, name))).toEqual([schema, name])
  })

  it('checks a list of names or { schema, name } objects before the task moves', () => {
    expect(() =>
      checkTableRefs({ addTables: ['public.a', { schema: 'p', name: 'b.c' }] }),
    ).not.toThrow()
    expect(() => checkTableRefs({})).not.toThrow()
    for (const bad of ['public.a', ['"x.y'], [{ schema: 'p' }], [{ schema: 'p', name: '' }], [3]])
      expect(() => checkTableRefs({ addTables: bad })).toThrow(
        expect.objectContaining({ code: 'PGFERRY_OPTIONS_INVALID' }),
      )
  })
})
