/**
 * The replication sub-protocol inside CopyData (PostgreSQL protocol "Streaming Replication
 * Protocol"): XLogData 'w' and Primary keepalive 'k' from the server, Standby status update 'r'
 * to it.
 */

export const enum ReplicationCode {
  XLogData = 0x77, // 'w'
  Keepalive = 0x6b, // 'k'
  StandbyStatus = 0x72, // 'r'
}

/** 'w' + walStart(8) + walEnd(8) + sendTime(8): the pgoutput message starts after this. */
export const XLOGDATA_HEADER = 25
/** 'k' + walEnd(8) + sendTime(8) + replyRequested(1). */
export const KEEPALIVE_LENGTH = 18

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000

/** Microseconds since 2000-01-01, the clock field of a status update. */
export function pgNow(): bigint {
  return BigInt(Date.now() - PG_EPOCH_MS) * 1000n
}

/**
 * A complete CopyData frame carrying a Standby status update: the write, flush and apply positions,
 * our clock, and whether the server should reply at once.
 */
export function encodeStandbyStatus(
  write: bigint,
  flush: bigint,
  apply: bigint,
  replyRequested: boolean,
): Buffer {
  const b = Buffer.allocUnsafe(5 + 34)
  b[0] = 0x64 // CopyData 'd'
  b.writeUInt32BE(4 + 34, 1)
  b[5] = ReplicationCode.StandbyStatus
  b.writeBigUInt64BE(write, 6)
  b.writeBigUInt64BE(flush, 14)
  b.writeBigUInt64BE(apply, 22)
  b.writeBigInt64BE(pgNow(), 30)
  b[38] = replyRequested ? 1 : 0
  return b
}

/** A CopyDone frame: how the client ends the copy-both phase. */
export const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4])
