/**
 * The CLI's --json output (issue 14): every line of every command has one shape,
 * `{"type": KIND, "at": ISO time, ...fields}`, that no payload can change; and the run's progress
 * line moves within a chunk, shows the post-data phase and the sync's rates.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { CliOutput, jsonLineOf, type WritableText } from '../../src/cli/cli-output.js'
import { attachProgress } from '../../src/cli/progress-reporter.js'
import { SecretFilter } from '../../src/cli/secret-filter.js'
import type { StoredEvent, Task, TaskStatusReport } from '../../src/index.js'
import { statusJson, statusRows } from '../../src/cli/status-view.js'
import { cliEventPayload } from '../../src/cli/format-error.js'

class Sink implements WritableText {
  text = ''
  constructor(readonly isTTY: boolean) {}
  write(t: string): boolean {
    this.text += t
    return true
  }
}

function output(
  json: boolean,
  tty = false,
): { out: CliOutput; stdout: Sink; secrets: SecretFilter } {
  const stdout = new Sink(tty)
  const secrets = new SecretFilter()
  return { out: new CliOutput(stdout, new Sink(false), secrets, json), stdout, secrets }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('--json lines', () => {
  it('put the kind and the time first, and a payload cannot overwrite them', () => {
    const at = new Date('2026-01-02T03:04:05.678Z')
    const line = jsonLineOf('warning', { type: 'full', at: 'never', code: 'PGFERRY_X' }, at)
    expect(line).toEqual({ type: 'warning', at: '2026-01-02T03:04:05.678Z', code: 'PGFERRY_X' })
    expect(Object.keys(line).slice(0, 2)).toEqual(['type', 'at'])
  })

  it('every line a command writes parses to that shape: messages, events, bigints, dates', () => {
    const { out, stdout, secrets } = output(true)
    secrets.add('s3cret')
    out.line('task abc started with s3cret')
    out.jsonLine('status', { lag: 12n, since: new Date(0), nested: { ok: true } })
    out.jsonLine('task:state', { from: 'created', to: 'prechecking' }, new Date(5))
    const lines = stdout.text.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const p of parsed) {
      expect(typeof p.type).toBe('string')
      expect(p.at).toMatch(ISO)
    }
    expect(parsed[0]).toMatchObject({ type: 'message', text: 'task abc started with ***' })
    expect(parsed[1]).toMatchObject({
      type: 'status',
      lag: '12',
      since: '1970-01-01T00:00:00.000Z',
      nested: { ok: true },
    })
    expect(parsed[2]).toMatchObject({ type: 'task:state', at: '1970-01-01T00:00:00.005Z' })
  })
})

describe('the run progress line', () => {
  const load = (over: Record<string, number | undefined>): Record<string, unknown> => ({
    taskId: 't',
    tablesDone: 0,
    tablesTotal: 2,
    bytesDone: 0,
    bytesTotal: 1000,
    percent: 0,
    etaSeconds: 10,
    postDataDone: 0,
    postDataTotal: 7,
    ...over,
  })

  it('moves with in-flight progress, then shows the indexes being built, without an ETA', () => {
    const { out, stdout } = output(false, true)
    const task = new EventEmitter()
    const detach = attachProgress(task as unknown as Task, out)
    task.emit('load:progress', load({ bytesDone: 120, percent: 12 }))
    task.emit('load:progress', load({ bytesDone: 470, percent: 47 }))
    task.emit(
      'load:progress',
      load({
        tablesDone: 2,
        bytesDone: 1000,
        percent: 100,
        etaSeconds: undefined,
        postDataDone: 3,
      }),
    )
    const draws = stdout.text.split('\r\x1b[2K').filter((d) => d !== '')
    expect(draws[0]).toMatch(/ 12% {2}tables 0\/2, .*ETA/)
    expect(draws[1]).toMatch(/ 47% {2}tables 0\/2/)
    expect(draws[2]).toContain('data copied (2 tables); building indexes 3/7')
    expect(draws[2]).not.toContain('ETA')
    detach()
  })

  it('shows rows/s and transactions/s beside the lag', () => {
    const { out, stdout } = output(false, true)
    const task = new EventEmitter()
    const detach = attachProgress(task as unknown as Task, out)
    task.emit('apply:batch', { taskId: 't', database: 'd', rows: 10, transactions: 2 })
    task.emit('wal:lag', {
      taskId: 't',
      database: 'd',
      lagBytes: 2048,
      lagSeconds: 0.5,
      receivedLsn: '0/1',
      appliedLsn: '0/1',
    })
    expect(stdout.text).toMatch(/sync lag: d 2\.0 KiB \/ 0\.5s; \d+ rows\/s, \d+ transactions\/s/)
    detach()
  })
})

describe('status and events show a kept failure with its fix in CLI words', () => {
  const id = '7d3c1e0a-0000-4000-8000-000000000001'
  const at = new Date('2026-12-02T12:00:00Z')
  const failure: StoredEvent = {
    at,
    name: 'error',
    payload: {
      stage: 'fullload',
      error: {
        code: 'PGFERRY_STAGE_FAILED',
        message: 'the full load stopped',
        fix: 'call fullLoad(task) again',
        cliFix: 'pgferry resume <task id> continues it',
      },
    },
  }
  const report: TaskStatusReport = {
    task: {
      id,
      name: 'n',
      type: 'full',
      state: 'failed',
      config: {},
      tags: {},
      stage: 'fullload',
      error: 'the full load stopped',
      skippedChecks: [],
      createdAt: at,
      updatedAt: at,
    },
    runState: 'stopped',
    runner: undefined,
    tables: [],
    workers: [],
    warnings: [],
    errors: [failure],
    next: `pgferry resume ${id}`,
    completable: false,
  }

  it('status text and JSON give the CLI fix with the task id, never the library call', () => {
    const rows = statusRows(report, undefined)
    expect(rows).toContainEqual(['', `fix: pgferry resume ${id} continues it`])
    const json = statusJson(report, undefined) as { errors: { error: Record<string, unknown> }[] }
    expect(json.errors[0]?.error).toMatchObject({ fix: `pgferry resume ${id} continues it` })
    expect(json.errors[0]?.error).not.toHaveProperty('cliFix')
    expect(JSON.stringify(json) + JSON.stringify(rows)).not.toMatch(/fullLoad\(/)
  })

  it('an event payload without a CLI fix keeps its own fix; other payloads are left as they are', () => {
    const plain = { error: { code: 'X', message: 'm', fix: 'GRANT …' } }
    expect(cliEventPayload(plain)).toEqual(plain)
    const warning = { code: 'PGFERRY_W', message: 'w' }
    expect(cliEventPayload(warning)).toBe(warning)
  })
})
