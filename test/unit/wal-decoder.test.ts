/**
 * The decoder against pgoutput streams captured from real servers (test/fixtures/pgoutput, see
 * capture.ts and workload.ts there): every message kind of protocols 1–4, checked against what the
 * workload wrote, and cross-checked message by message with pg-logical-replication's parser (an
 * independent implementation) where that parser understands the message.
 */
import { describe, expect, it } from 'vitest'
import { PgoutputParser } from 'pg-logical-replication/dist/output-plugins/pgoutput/pgoutput-parser.js'
import { BackendCode, CopyBothFramer, FrameResult } from '../../src/wal/copy-both-framer.js'
import { PgoutputDecoder, hexDump } from '../../src/wal/pgoutput-decoder.js'
import {
  MessageType,
  TupleKind,
  columnText,
  copyTuple,
  timestampToDate,
} from '../../src/wal/pgoutput-messages.js'
import { formatLsn, parseLsn } from '../../src/wal/lsn.js'
import { XLOGDATA_HEADER } from '../../src/wal/standby-messages.js'
import { feed, loadFixture, type Plain } from './wal-fixture-reader.js'

const ofType = (ms: Plain[], t: string): Plain[] => ms.filter((m) => m.type === t)
const on = (ms: Plain[], t: string, rel: string): Plain[] =>
  ms.filter((m) => m.type === t && m.relation === `public.${rel}`)

/** The DML workload (workload.ts DML_SQL) as every protocol version must show it. */
function expectDml(ms: Plain[], binary: boolean): void {
  const items = on(ms, 'I', 'items')
  expect(items[0]?.newTuple).toHaveLength(7)
  const first = items[0]?.newTuple as string[]
  expect(first[0]).toBe(binary ? 't:1'.replace('t:1', 'b:00000001') : 't:1')
  if (!binary) {
    expect(first.slice(1, 6)).toEqual([
      't:apple',
      't:1.50',
      't:2024-01-02 03:04:05.123456+00',
      't:\\xdeadbeef',
      't:happy',
    ])
  }
  expect(first[6]).toMatch(binary ? /^b:(78){3000}$/ : /^t:x{3000}$/)
  expect(items[1]?.newTuple).toEqual([
    binary ? 'b:00000002' : 't:2',
    binary ? 'b:' + Buffer.from('pear').toString('hex') : 't:pear',
    'n',
    'n',
    'n',
    'n',
    'n',
  ])
  const [price, key] = on(ms, 'U', 'items')
  // unchanged TOAST is its own kind, not NULL; no old image for a non-key update (identity DEFAULT)
  expect((price?.newTuple as string[])[6]).toBe('u')
  expect(price?.oldKind).toBeUndefined()
  expect(key?.oldKind).toBe('K')
  expect((key?.oldTuple as string[]).slice(1)).toEqual(['n', 'n', 'n', 'n', 'n', 'n'])
  expect(on(ms, 'D', 'items')[0]).toMatchObject({ oldKind: 'K' })
  // REPLICA IDENTITY FULL: the whole old row, on update and delete
  const full = on(ms, 'U', 'full_rows')[0]
  expect(full).toMatchObject({ oldKind: 'O' })
  expect(on(ms, 'D', 'full_rows')[0]?.oldKind).toBe('O')
  // REPLICA IDENTITY USING INDEX: K only when the index key changed
  const [byKey, byOther] = on(ms, 'U', 'by_index')
  expect(byKey?.oldKind).toBe('K')
  expect(byOther?.oldKind).toBeUndefined()
  const rel = ofType(ms, 'R')
  expect(rel.find((r) => r.name === 'full_rows')?.replicaIdentity).toBe('f')
  expect(rel.find((r) => r.name === 'by_index')?.replicaIdentity).toBe('i')
  expect(rel.find((r) => r.name === 'items')?.replicaIdentity).toBe('d')
  expect(ofType(ms, 'Y')[0]).toMatchObject({ schema: 'public', name: 'mood' })
  const [t1, t2] = ofType(ms, 'T')
  expect(t1).toMatchObject({
    cascade: true,
    restartIdentity: true,
    relations: ['public.parent', 'public.child'],
  })
  expect(t2).toMatchObject({
    cascade: false,
    restartIdentity: false,
    relations: ['public.full_rows', 'public.by_index'],
  })
}

describe('pgoutput decoder on captured streams', () => {
  it('v12 proto 1: every DML kind, identities, unchanged TOAST, TRUNCATE flags, a Type message', () => {
    const { messages } = feed([loadFixture('v12-p1')], 'raw')
    expectDml(messages, false)
    expect(ofType(messages, 'B')).toHaveLength(ofType(messages, 'C').length)
    // no xid prefix outside streamed blocks
    expect(on(messages, 'I', 'items')[0]?.xid).toBeUndefined()
  })

  it.each(['v14-p1', 'v17-p1'])('%s proto 1 decodes the same workload the same way', (name) => {
    expectDml(feed([loadFixture(name)], 'raw').messages, false)
  })

  it('v14 proto 2 binary: binary columns stay bytes, logical messages transactional and not', () => {
    const { messages } = feed([loadFixture('v14-p2-binary')], 'raw')
    expectDml(messages, true)
    const [inside, outside] = ofType(messages, 'M')
    expect(inside).toMatchObject({ transactional: true, prefix: 'pgferry', content: 'inside' })
    expect(outside).toMatchObject({ transactional: false, prefix: 'pgferry', content: 'outside' })
    // the enum column has a binary send function too: its bytes are the label
    const apple = on(messages, 'I', 'items')[0]?.newTuple as string[]
    expect(apple[5]).toBe('b:' + Buffer.from('happy').toString('hex'))
  })

  it('v14 proto 2 streaming raw: xid-prefixed changes, subtransaction and whole aborts', () => {
    const { messages } = feed([loadFixture('v14-p2-streaming')], 'raw')
    const starts = ofType(messages, 'S')
    expect(starts.length).toBeGreaterThanOrEqual(2)
    expect(starts[0]?.firstSegment).toBe(true)
    const top = starts[0]?.xid as number
    const aborts = ofType(messages, 'A')
    expect(aborts).toHaveLength(2)
    expect(aborts[0]).toMatchObject({ xid: top, abortLsn: undefined }) // v14: no abort LSN
    expect(aborts[0]?.subXid).not.toBe(top)
    expect(aborts[1]?.subXid).toBe(aborts[1]?.xid)
    // inside a streamed block every change carries the xid of the (sub)transaction that made it
    const streamed = on(messages, 'I', 'bulk')
    expect(streamed.every((m) => typeof m.xid === 'number')).toBe(true)
    expect(new Set(streamed.filter((m) => m.xid === top).map((m) => m.xid)).size).toBe(1)
    expect(streamed.some((m) => m.xid === aborts[0]?.subXid)).toBe(true)
    expect(ofType(messages, 'c')).toEqual([expect.objectContaining({ xid: top })])
  })

  it('v14 proto 2 streaming spooled: only committed rows, in order, rolled-back savepoint gone', () => {
    const { messages } = feed([loadFixture('v14-p2-streaming')], 'spool')
    expect(ofType(messages, 'S')).toHaveLength(0)
    expect(ofType(messages, 'A')).toHaveLength(0)
    const ids = on(messages, 'I', 'bulk').map((m) => Number((m.newTuple as string[])[0]?.slice(2)))
    const expected = [
      ...Array.from({ length: 600 }, (_, i) => i + 1),
      200001,
      200002,
      200003,
      200004,
      200005,
    ]
    expect(ids).toEqual(expected)
    // the released transaction ends with its Stream Commit, after its last change
    const commitAt = messages.findIndex((m) => m.type === 'c')
    const lastBulk = messages.findLastIndex((m) => m.relation === 'public.bulk')
    expect(commitAt).toBe(lastBulk + 1)
  })

  it('v17 proto 3 two-phase: begin prepare / prepare / commit prepared / rollback prepared / stream prepare', () => {
    const { messages } = feed([loadFixture('v17-p3-twophase')], 'spool')
    const [bp1, bp2] = ofType(messages, 'b')
    expect(bp1?.gid).toBe('gid-commit')
    expect(bp2?.gid).toBe('gid-rollback')
    expect(ofType(messages, 'P').map((m) => m.gid)).toEqual(['gid-commit', 'gid-rollback'])
    expect(ofType(messages, 'K').map((m) => m.gid)).toEqual(['gid-commit', 'gid-streamed'])
    const rb = ofType(messages, 'r')[0]
    expect(rb).toMatchObject({
      gid: 'gid-rollback',
      prepareEndLsn: ofType(messages, 'P')[1]?.endLsn,
    })
    const sp = ofType(messages, 'p')
    expect(sp).toEqual([expect.objectContaining({ gid: 'gid-streamed' })])
    // the streamed prepared transaction's 600 rows come right before its Stream Prepare
    const at = messages.findIndex((m) => m.type === 'p')
    expect(
      messages.slice(at - 600, at).every((m) => m.type === 'I' && m.relation === 'public.bulk'),
    ).toBe(true)
    // v17 with proto 3: no parallel streaming, so no abort LSN
    expect(ofType(feed([loadFixture('v17-p3-twophase')], 'raw').messages, 'A')).toHaveLength(0)
  })

  it('v17 proto 4 with every option: parallel stream abort carries LSN and time', () => {
    const raw = feed([loadFixture('v17-p4-all')], 'raw').messages
    expectDml(raw, true)
    const aborts = ofType(raw, 'A')
    expect(aborts.length).toBe(2)
    for (const a of aborts) {
      expect(BigInt(a.abortLsn as string)).toBeGreaterThan(0n)
      expect(
        timestampToDate(BigInt(a.abortTime as string)).getUTCFullYear(),
      ).toBeGreaterThanOrEqual(2024)
    }
    const spooled = feed([loadFixture('v17-p4-all')], 'spool').messages
    expect(on(spooled, 'I', 'bulk')).toHaveLength(605 + 600)
  })

  it('agrees with pg-logical-replication on every message its parser knows (proto 1 streams)', () => {
    for (const name of ['v12-p1', 'v14-p1', 'v17-p1']) {
      const theirs = new PgoutputParser()
      const ours = new PgoutputDecoder()
      let compared = 0
      const framer = new CopyBothFramer({
        frame(code, buffer, start, end) {
          if (code !== BackendCode.CopyData || buffer[start] !== 0x77) return FrameResult.Continue
          const s = start + XLOGDATA_HEADER
          const m = ours.decode(buffer, s, end)
          const t = theirs.parse(Buffer.from(buffer.subarray(s, end))) as unknown as Record<
            string,
            unknown
          >
          compared++
          switch (m.type) {
            case MessageType.Begin:
              expect(t.tag).toBe('begin')
              expect(parseLsn(t.commitLsn as string)).toBe(m.finalLsn)
              expect(t.xid).toBe(m.xid)
              break
            case MessageType.Commit:
              expect(t.tag).toBe('commit')
              expect(parseLsn(t.commitEndLsn as string)).toBe(m.endLsn)
              break
            case MessageType.Relation:
              expect(t).toMatchObject({
                tag: 'relation',
                relationOid: m.relationOid,
                schema: m.schema,
                name: m.name,
              })
              expect((t.columns as { name: string }[]).map((c) => c.name)).toEqual(
                m.columns.map((c) => c.name),
              )
              break
            case MessageType.Insert:
            case MessageType.Update:
            case MessageType.Delete: {
              const tuple = m.type === MessageType.Delete ? m.oldTuple : m.newTuple
              const row = (t.new ?? t.old ?? t.key) as Record<string, unknown>
              m.relation.columns.forEach((c, i) => {
                const mine = columnText(tuple, i)
                const their = row[c.name]
                if (mine === null) expect(their ?? null).toBeNull()
                else if (mine !== undefined && (c.typeOid === 23 || c.typeOid === 25))
                  expect(String(their)).toBe(mine)
              })
              break
            }
            case MessageType.Truncate:
              expect(t).toMatchObject({
                tag: 'truncate',
                cascade: m.cascade,
                restartIdentity: m.restartIdentity,
              })
              break
            default:
              expect(t.tag).toBeDefined()
          }
          return FrameResult.Continue
        },
      })
      framer.push(loadFixture(name))
      expect(compared).toBeGreaterThan(40)
    }
  })
})

describe('pgoutput decoder edge cases', () => {
  const relation = (oid: number): Buffer => {
    const parts = [
      Buffer.from([0x52]),
      u32(oid),
      Buffer.from('s\0t\0'),
      Buffer.from([0x64]),
      Buffer.from([0, 1]),
    ]
    parts.push(
      Buffer.from([1]),
      Buffer.from('id\0'),
      u32(23),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    )
    return Buffer.concat(parts)
  }

  it('reads OIDs and xids unsigned (OIDs past 2^31 exist on long-lived clusters)', () => {
    const d = new PgoutputDecoder()
    const r = d.decode(relation(0xfffffff0))
    expect(r).toMatchObject({
      relationOid: 0xfffffff0,
      columns: [{ isKey: true, name: 'id', typeOid: 23, typeMod: -1 }],
    })
    const insert = Buffer.concat([
      Buffer.from([0x49]),
      u32(0xfffffff0),
      Buffer.from([0x4e, 0, 2, 0x6e, 0x75]),
    ])
    const m = d.decode(insert)
    expect(m).toMatchObject({ type: MessageType.Insert, relation: { relationOid: 0xfffffff0 } })
    if (m.type === MessageType.Insert) {
      expect([m.newTuple.kind(0), m.newTuple.kind(1)]).toEqual([
        TupleKind.Null,
        TupleKind.Unchanged,
      ])
      expect(m.newTuple.bytes(0)).toBeNull()
      expect(columnText(m.newTuple, 0)).toBeNull()
      expect(columnText(m.newTuple, 1)).toBeUndefined()
    }
    const begin = Buffer.concat([Buffer.from([0x42]), Buffer.alloc(16), u32(0xfffffffe)])
    expect(d.decode(begin)).toMatchObject({ xid: 0xfffffffe })
  })

  it('replaces a cached relation whole on a new Relation message', () => {
    const d = new PgoutputDecoder()
    d.decode(relation(7))
    const two = Buffer.concat([
      Buffer.from([0x52]),
      u32(7),
      Buffer.from('s\0t\0'),
      Buffer.from([0x66]),
      Buffer.from([0, 1]),
      Buffer.from([0]),
      Buffer.from('renamed\0'),
      u32(25),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    ])
    d.decode(two)
    expect(d.relations.get(7)).toMatchObject({
      replicaIdentity: 'f',
      columns: [{ name: 'renamed', isKey: false }],
    })
  })

  it('schemas sent inside a streamed transaction become the main ones when it commits, not when it aborts', () => {
    const inStream = (xid: number, body: Buffer): Buffer =>
      Buffer.concat([body.subarray(0, 1), u32(xid), body.subarray(1)])
    const streamStart = (xid: number): Buffer =>
      Buffer.concat([Buffer.from([0x53]), u32(xid), Buffer.from([1])])
    const insert = (oid: number): Buffer =>
      Buffer.concat([Buffer.from([0x49]), u32(oid), Buffer.from([0x4e, 0, 1, 0x6e])])
    const d = new PgoutputDecoder()
    // xid 50 aborts: its Relation for OID 11 is dropped
    d.decode(streamStart(50))
    d.decode(inStream(50, relation(11)))
    expect(d.decode(inStream(50, insert(11)))).toMatchObject({
      xid: 50,
      relation: { relationOid: 11 },
    })
    d.decode(Buffer.from([0x45]))
    d.decode(Buffer.concat([Buffer.from([0x41]), u32(50), u32(50)]))
    expect(() => d.decode(insert(11))).toThrow(/before its Relation/)
    // xid 60 commits: pgoutput now counts OID 12's schema as sent and will not repeat it
    d.decode(streamStart(60))
    d.decode(inStream(61, relation(12)))
    d.decode(Buffer.from([0x45]))
    expect(d.streamXid).toBeUndefined()
    d.decode(Buffer.concat([Buffer.from([0x63]), u32(60), Buffer.alloc(25)]))
    expect(d.decode(insert(12))).toMatchObject({ xid: undefined, relation: { relationOid: 12 } })
  })

  it('an unknown message type is a hard error with a hex dump', () => {
    const d = new PgoutputDecoder()
    expect(() => d.decode(Buffer.from([0x5a, 1, 2, 0xab]))).toThrow(
      expect.objectContaining({
        code: 'PGFERRY_WAL_UNKNOWN_MESSAGE',
        message: expect.stringContaining('hex: 5a 01 02 ab'),
      }),
    )
  })

  it('a truncated or malformed message is a protocol error, never a silent short read', () => {
    const d = new PgoutputDecoder()
    d.decode(relation(9))
    const cut = Buffer.concat([
      Buffer.from([0x49]),
      u32(9),
      Buffer.from([0x4e, 0, 1, 0x74, 0, 0, 0, 9, 0x41]),
    ])
    expect(() => d.decode(cut)).toThrow(
      expect.objectContaining({
        code: 'PGFERRY_WAL_PROTOCOL',
        message: expect.stringContaining('hex: 49'),
      }),
    )
    const badKind = Buffer.concat([Buffer.from([0x49]), u32(9), Buffer.from([0x4e, 0, 1, 0x78])])
    expect(() => d.decode(badKind)).toThrow(/unknown tuple column kind 0x78/)
    expect(() =>
      d.decode(Buffer.concat([Buffer.from([0x49]), u32(10), Buffer.from([0x4e, 0, 0])])),
    ).toThrow(/OID 10 before its Relation/)
    expect(hexDump(Buffer.alloc(300), 0, 300)).toMatch(/\(300 bytes\).* …$/)
  })

  it('copyTuple detaches values from the input buffer', () => {
    const d = new PgoutputDecoder()
    d.decode(relation(3))
    const input = Buffer.concat([
      Buffer.from([0x49]),
      u32(3),
      Buffer.from([0x4e, 0, 1, 0x74, 0, 0, 0, 2]),
      Buffer.from('42'),
    ])
    const m = d.decode(input)
    if (m.type !== MessageType.Insert) throw new Error('not an insert')
    const kept = copyTuple(m.newTuple)
    input.fill(0)
    expect(columnText(m.newTuple, 0)).toBe('\0\0') // the view follows the input…
    expect(columnText(kept, 0)).toBe('42') // …the copy does not
    expect(formatLsn(0n)).toBe('0/0')
  })
})

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
