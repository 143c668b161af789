import { describe, expect, it } from 'vitest'
import { pgpassLookup } from '../../src/pg/pgpass.js'

const key = { host: 'db.example', port: 5432, database: 'shop', user: 'app' }

describe('the password file, read as libpq reads it', () => {
  it('takes the first matching line, with * matching any field, skipping comments and short lines', () => {
    const text = [
      '# host:port:database:user:password',
      'other:5432:shop:app:no',
      'db.example:5432:shop',
      'db.example:*:shop:app:first',
      '*:*:*:*:second',
    ].join('\n')
    expect(pgpassLookup(text, key)).toBe('first')
    expect(pgpassLookup(text, { ...key, host: 'elsewhere' })).toBe('second')
    expect(pgpassLookup('db.example:5433:shop:app:x', key)).toBeUndefined()
  })

  it('unescapes \\: and \\\\ in fields and keeps a colon in the password', () => {
    expect(pgpassLookup('db.example:5432:shop:app:pa\\:ss\\\\word', key)).toBe('pa:ss\\word')
    expect(pgpassLookup('db.example:5432:shop:app:pa:ss', key)).toBe('pa:ss')
    expect(pgpassLookup('db.example:5432:s\\:hop:app:x', { ...key, database: 's:hop' })).toBe('x')
  })
})
