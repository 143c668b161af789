/**
 * Every event payload is JSON-serialisable (issue 14): a logger, a metrics exporter or
 * `--json` output takes it with JSON.stringify. The record below must name every event kind (the
 * type makes a missing one a compile error), with its byte counts as the emitters give them.
 */
import { describe, expect, it } from 'vitest'
import { PgferryError } from '../../src/errors.js'
import type { PgferryEvents } from '../../src/model/events.js'

const taskId = 't1'
const one: { readonly [K in keyof PgferryEvents]: PgferryEvents[K] } = {
  'stage:start': { taskId, stage: 'fullload' },
  'verify:progress': {
    taskId,
    tables: 3,
    tablesDone: 1,
    chunks: 10,
    chunksDone: 4,
    bytesHashed: 1024,
    elapsedMs: 50,
    etaMs: null,
  },
  'verify:difference': {
    taskId,
    database: 'd',
    table: 'public.t',
    kind: 'changed',
    key: { id: '1' },
    source: { id: '1', v: 'a' },
    target: { id: '1', v: null },
  },
  'stage:done': { taskId, stage: 'fullload', durationMs: 12 },
  'task:state': { taskId, from: 'ready', to: 'running_structure' },
  'task:paused': { taskId, stage: 'fullload', reason: 'received SIGINT' },
  'precheck:item': { taskId, id: 'wal-level', status: 'fail', message: 'm', fix: 'f' },
  'schema:object': { taskId, database: 'd', kind: 'table', name: 'public.t', phase: 'pre-data' },
  'schema:done': { taskId, phase: 'all', counts: { table: 1 }, skipped: 0 },
  'table:start': { taskId, database: 'd', table: 'public.t', chunks: 2 },
  'worker:job': {
    taskId,
    worker: 'host:42',
    host: 'host',
    pid: 42,
    kind: 'chunk',
    database: 'd',
    name: 'public.t chunk 1/2',
    state: 'claimed',
  },
  'chunk:progress': {
    taskId,
    database: 'd',
    table: 'public.t',
    chunk: '1',
    rows: 5,
    bytes: 9,
    done: false,
  },
  'table:copied': { taskId, database: 'd', table: 'public.t', rows: 5, bytes: 9, durationMs: 3 },
  'load:progress': {
    taskId,
    tablesDone: 1,
    tablesTotal: 2,
    bytesDone: 9,
    bytesTotal: 18,
    percent: 50,
    etaSeconds: 1,
    postDataDone: 3,
    postDataTotal: 7,
  },
  'wal:lag': {
    taskId,
    database: 'd',
    lagBytes: 2 ** 40,
    lagSeconds: 0.5,
    receivedLsn: '0/16B3748',
    appliedLsn: '0/16B3700',
  },
  'wal:retained': {
    taskId,
    database: 'd',
    slot: 's',
    retainedBytes: 2 ** 33,
    thresholdBytes: 2 ** 34,
    walStatus: 'reserved',
    safeWalSize: 2 ** 35,
  },
  'apply:batch': {
    taskId,
    database: 'd',
    transactions: 2,
    rows: 7,
    commitLsn: '0/16B3748',
    durationMs: 4,
  },
  warning: { taskId, code: 'PGFERRY_WAL_RETAINED_HIGH', message: 'm', stage: 'incremental' },
  error: {
    taskId,
    stage: 'fullload',
    error: new PgferryError('PGFERRY_STAGE_FAILED', 'boom', { fix: 'do this', stage: 'fullload' }),
  },
}

describe('event payloads', () => {
  for (const [name, payload] of Object.entries(one)) {
    it(`${name}: JSON.stringify round-trips it`, () => {
      const parsed: unknown = JSON.parse(JSON.stringify(payload))
      if (name !== 'error') expect(parsed).toEqual(payload)
      else
        expect(parsed).toMatchObject({
          taskId,
          stage: 'fullload',
          error: {
            name: 'PgferryError',
            code: 'PGFERRY_STAGE_FAILED',
            message: 'boom',
            fix: 'do this',
            stage: 'fullload',
          },
        })
    })
  }
})
