import { describe, expect, it } from 'vitest'
import {
  maxProtoVersion,
  negotiateProtocol,
  startReplicationCommand,
} from '../../src/wal/protocol-options.js'

describe('pgoutput option negotiation by server version', () => {
  it('sends only proto 1 and publication_names to v10–13', () => {
    for (const v of [100023, 120022, 130018]) {
      const p = negotiateProtocol(v)
      expect(p).toMatchObject({
        protoVersion: 1,
        binary: false,
        messages: false,
        streaming: false,
        twoPhase: false,
      })
      expect(startReplicationCommand('s', '0/0', ['pub'], p)).toBe(
        `START_REPLICATION SLOT "s" LOGICAL 0/0 (proto_version '1', publication_names '"pub"')`,
      )
    }
  })

  it('v14: messages and streaming (proto 2) by default, binary on request', () => {
    const p = negotiateProtocol(140023, { binary: true })
    expect(p).toMatchObject({
      protoVersion: 2,
      binary: true,
      messages: true,
      streaming: 'on',
      twoPhase: false,
    })
    expect(startReplicationCommand('s', '1/A0', ['a', 'o\'d"d'], p)).toBe(
      `START_REPLICATION SLOT "s" LOGICAL 1/A0 (proto_version '2', publication_names '"a","o''d""d"', binary 'true', messages 'true', streaming 'on')`,
    )
  })

  it('v15: two_phase needs proto 3; v16+: parallel streaming with proto 4', () => {
    expect(negotiateProtocol(150018, { twoPhase: true })).toMatchObject({
      protoVersion: 3,
      streaming: 'on',
      twoPhase: true,
    })
    expect(negotiateProtocol(160014)).toMatchObject({ protoVersion: 4, streaming: 'parallel' })
    expect(negotiateProtocol(180004, { protoVersion: 2 })).toMatchObject({
      protoVersion: 2,
      streaming: 'on',
    })
    expect(
      negotiateProtocol(170010, { streaming: false, messages: false, protoVersion: 1 }),
    ).toMatchObject({
      protoVersion: 1,
      streaming: false,
      messages: false,
    })
    expect(maxProtoVersion(130000)).toBe(1)
    expect(maxProtoVersion(170000)).toBe(4)
  })

  it('refuses options the server lacks instead of sending them', () => {
    const code = { code: 'PGFERRY_WAL_PROTOCOL' }
    expect(() => negotiateProtocol(130018, { binary: true })).toThrow(expect.objectContaining(code))
    expect(() => negotiateProtocol(130018, { streaming: true })).toThrow(
      expect.objectContaining(code),
    )
    expect(() => negotiateProtocol(140023, { twoPhase: true })).toThrow(
      expect.objectContaining(code),
    )
    expect(() => negotiateProtocol(140023, { protoVersion: 3 })).toThrow(
      expect.objectContaining(code),
    )
    expect(() => negotiateProtocol(170000, { protoVersion: 1, streaming: true })).toThrow(
      /proto_version 2/,
    )
    expect(() => negotiateProtocol(170000, { protoVersion: 2, twoPhase: true })).toThrow(
      /proto_version 3/,
    )
    expect(() => negotiateProtocol(90624)).toThrow(/PostgreSQL 10/)
  })
})
