import type { BufferReader } from './buffer-reader.js'
import { MessageType, type PgoutputMessage } from './pgoutput-messages.js'

/**
 * Two-phase messages (v3+, proto.c logicalrep_read_*prepare*): the bytes after the type byte. A
 * Stream Prepare hands its xid to `adoptStream` before its gid is read, as the decoder did inline.
 */
export function readTwoPhase(
  type:
    | MessageType.BeginPrepare
    | MessageType.Prepare
    | MessageType.StreamPrepare
    | MessageType.CommitPrepared
    | MessageType.RollbackPrepared,
  r: BufferReader,
  adoptStream: (xid: number) => void,
): PgoutputMessage {
  switch (type) {
    case MessageType.BeginPrepare:
      return {
        type,
        prepareLsn: r.uint64(),
        endLsn: r.uint64(),
        prepareTime: r.int64(),
        xid: r.uint32(),
        gid: r.cstring(),
      }
    case MessageType.Prepare:
    case MessageType.StreamPrepare: {
      const flags = r.uint8()
      const prepareLsn = r.uint64()
      const endLsn = r.uint64()
      const prepareTime = r.int64()
      const xid = r.uint32()
      if (type === MessageType.StreamPrepare) adoptStream(xid)
      return { type, flags, prepareLsn, endLsn, prepareTime, xid, gid: r.cstring() }
    }
    case MessageType.CommitPrepared:
      return {
        type,
        flags: r.uint8(),
        commitLsn: r.uint64(),
        endLsn: r.uint64(),
        commitTime: r.int64(),
        xid: r.uint32(),
        gid: r.cstring(),
      }
    case MessageType.RollbackPrepared:
      return {
        type,
        flags: r.uint8(),
        prepareEndLsn: r.uint64(),
        rollbackEndLsn: r.uint64(),
        prepareTime: r.int64(),
        rollbackTime: r.int64(),
        xid: r.uint32(),
        gid: r.cstring(),
      }
  }
}
