import { describe, expect, it } from 'vitest'
import { parseDurationMs, statusIntervalFor } from '../../src/wal/status-interval.js'
import { replicationError } from '../../src/wal/replication-error.js'

describe('standby status interval', () => {
  it('is half of wal_sender_timeout as SHOW prints it, at most 10 s, 10 s when off', () => {
    expect(parseDurationMs('2s')).toBe(2000)
    expect(parseDurationMs('1min')).toBe(60_000)
    expect(parseDurationMs('2500ms')).toBe(2500)
    expect(parseDurationMs('1h')).toBe(3_600_000)
    expect(statusIntervalFor('2s')).toBe(1000)
    expect(statusIntervalFor('1min')).toBe(10_000)
    expect(statusIntervalFor('0')).toBe(10_000)
    expect(statusIntervalFor('garbage')).toBe(10_000)
  })
})

describe('replication errors', () => {
  const command = `START_REPLICATION SLOT "my ""slot""" LOGICAL 0/0 (proto_version '1')`
  it('a missing slot names the slot', () => {
    const e = replicationError(
      Object.assign(new Error('replication slot "my "slot"" does not exist'), { code: '42704' }),
      command,
    )
    expect(e).toMatchObject({ code: 'PGFERRY_WAL_SLOT_MISSING', sqlState: '42704' })
    expect(e.message).toContain('"my \\"slot\\""')
  })
  it('a dropped connection is retryable; other refusals are protocol errors', () => {
    expect(
      replicationError(new Error('Connection terminated unexpectedly'), command),
    ).toMatchObject({
      code: 'PGFERRY_CONNECTION_LOST',
      retryable: true,
      side: 'source',
    })
    // pg_terminate_backend of the walsender, or the source shutting down
    expect(
      replicationError(
        Object.assign(new Error('terminating connection due to administrator command'), {
          code: '57P01',
        }),
        command,
      ),
    ).toMatchObject({ code: 'PGFERRY_CONNECTION_LOST', retryable: true, sqlState: '57P01' })
    expect(
      replicationError(
        Object.assign(new Error('unrecognized pgoutput option'), { code: '42601' }),
        command,
      ),
    ).toMatchObject({ code: 'PGFERRY_WAL_PROTOCOL', sqlState: '42601' })
  })
  it('a slot still streamed elsewhere is retryable and says how to end that walsender', () => {
    const active = (text: string): ReturnType<typeof replicationError> =>
      replicationError(Object.assign(new Error(text), { code: '55006' }), command)
    expect(active('replication slot "my "slot"" is active for PID 4242')).toMatchObject({
      code: 'PGFERRY_WAL_SLOT_ACTIVE',
      retryable: true,
      sqlState: '55006',
      message: expect.stringContaining('PID 4242') as string,
      fix: expect.stringContaining('SELECT pg_terminate_backend(4242);') as string,
    })
    // a server whose message has no PID (or a translated one): the catalog query names it
    expect(active('replication slot "my "slot"" is active').fix).toContain(
      `pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'my "slot"'`,
    )
  })
})
