import { TruncatedMessageError, type BufferReader } from './buffer-reader.js'
import { TupleData, TupleKind } from './pgoutput-messages.js'

/**
 * TupleData: int16 column count, then per column a kind byte and, for 't'/'b', int32 length and
 * the bytes. The hottest loop of the decoder: it reads the buffer directly with a local offset and
 * records positions only (no per-column objects).
 */
export function readTuple(r: BufferReader): TupleData {
  const count = r.int16()
  const buffer = r.buffer
  const end = r.end
  const layout: number[] = new Array<number>(count * 3)
  let at = r.offset
  for (let i = 0, k = 0; i < count; i++, k += 3) {
    if (at >= end) throw new TruncatedMessageError(`tuple cut short at column ${i}`)
    const kind = buffer[at++] as number
    if (kind === TupleKind.Text || kind === TupleKind.Binary) {
      if (at + 4 > end) throw new TruncatedMessageError(`tuple cut short at column ${i}`)
      const length =
        ((buffer[at] as number) << 24) |
        ((buffer[at + 1] as number) << 16) |
        ((buffer[at + 2] as number) << 8) |
        (buffer[at + 3] as number)
      at += 4
      if (length < 0 || at + length > end) {
        throw new TruncatedMessageError(`column ${i} of ${length} bytes runs past the message end`)
      }
      layout[k] = kind
      layout[k + 1] = at
      layout[k + 2] = length
      at += length
    } else if (kind === TupleKind.Null || kind === TupleKind.Unchanged) {
      layout[k] = kind
      layout[k + 1] = 0
      layout[k + 2] = 0
    } else {
      throw new TruncatedMessageError(
        `unknown tuple column kind 0x${kind.toString(16)} in column ${i}`,
      )
    }
  }
  r.offset = at
  return new TupleData(buffer, count, layout)
}
