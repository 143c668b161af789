import { describe, expect, it } from 'vitest'
import { redact, registerSecret } from '../../src/redact.js'
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/pg/quote.js'

describe('redact', () => {
  it.each([
    ['connect postgres://bob:hunter2@db:5432/x failed', 'postgres://bob:***@db:5432/x'],
    ['host=db password=hunter2 user=bob', 'password=***'],
    [`ALTER ROLE bob PASSWORD 'it''s secret'`, `PASSWORD '***'`],
    ['{"password":"hunter2"}', '***'],
  ])('removes the password from %s', (input, expected) => {
    const out = redact(input)
    expect(out).toContain(expected)
    expect(out).not.toContain('hunter2')
    expect(out).not.toContain('secret')
  })

  it('removes registered secrets wherever they appear', () => {
    registerSecret('Tr0ub4dor&3')
    expect(redact('auth with Tr0ub4dor&3 failed')).toBe('auth with *** failed')
  })
})

describe('quoting', () => {
  it.each([
    ['orders', '"orders"'],
    ['Order "Items"', '"Order ""Items"""'],
    ['select', '"select"'],
    ['tâble ünïcode', '"tâble ünïcode"'],
  ])('quotes %s', (name, quoted) => expect(quoteIdent(name)).toBe(quoted))

  it('qualifies and quotes literals', () => {
    expect(quoteQualified('my schema', 't')).toBe('"my schema"."t"')
    expect(quoteLiteral("it's")).toBe("'it''s'")
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'")
    expect(() => quoteIdent('a\0b')).toThrow(TypeError)
  })
})
