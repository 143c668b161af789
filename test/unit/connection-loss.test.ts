import { describe, expect, it } from 'vitest'
import { PgferryError } from '../../src/errors.js'
import { isConnectionLoss } from '../../src/pg/connection-loss.js'
import { syncFailure } from '../../src/apply/sync-failure.js'

const withCode = (message: string, code: string): Error =>
  Object.assign(new Error(message), { code })

describe('a lost connection, told from a refused statement', () => {
  it('is a session ended by the server, a broken socket, or pg closing under a query', () => {
    expect(
      isConnectionLoss(withCode('terminating connection due to administrator command', '57P01')),
    ).toBe(true)
    expect(isConnectionLoss(withCode('the database system is starting up', '57P03'))).toBe(true)
    expect(isConnectionLoss(withCode('connection failure', '08006'))).toBe(true)
    expect(isConnectionLoss(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(true)
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(
      isConnectionLoss(withCode('duplicate key value violates unique constraint', '23505')),
    ).toBe(false)
    expect(isConnectionLoss(withCode('canceling statement due to user request', '57014'))).toBe(
      false,
    )
    expect(isConnectionLoss(new Error('something else'))).toBe(false)
  })

  it('is found under a PgferryError that wraps it', () => {
    const applied = new PgferryError('PGFERRY_APPLY_FAILED', 'UPDATE on public.t failed', {
      cause: new Error('Connection terminated unexpectedly'),
    })
    expect(isConnectionLoss(applied)).toBe(true)
    const refused = new PgferryError('PGFERRY_APPLY_FAILED', 'INSERT on public.t failed', {
      cause: withCode('duplicate key value violates unique constraint "t_pkey"', '23505'),
    })
    expect(isConnectionLoss(refused)).toBe(false)
  })

  it('becomes a retryable PGFERRY_CONNECTION_LOST of the sync, naming side, database and fix', () => {
    const applied = new PgferryError('PGFERRY_APPLY_FAILED', 'UPDATE on public.t failed', {
      cause: new Error('Connection terminated unexpectedly'),
    })
    expect(syncFailure(applied, 'shop')).toMatchObject({
      code: 'PGFERRY_CONNECTION_LOST',
      side: 'target',
      retryable: true,
      message: expect.stringContaining(
        'target was lost during the incremental sync of shop',
      ) as string,
      fix: expect.stringContaining('startIncremental(task)') as string,
    })
    const other = new PgferryError('PGFERRY_DDL_DETECTED', 'x')
    expect(syncFailure(other, 'shop')).toBe(other)
  })
})
