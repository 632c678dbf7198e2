/**
 * VarInt and string framing of the Minecraft Java protocol: a packet is `VarInt length, VarInt id, body`.
 * Only what the gateway reads before it splices (handshake, login start, status exchange) goes through
 * here; bytes after the handshake are never parsed.
 */

export class ProtocolError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A VarInt at `offset`: its value and the offset after it, or null when the buffer ends first. */
export function readVarInt(buffer: Buffer, offset: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (offset + i >= buffer.length) return null;
    const byte = buffer[offset + i]!;
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return { value: value | 0, next: offset + i + 1 };
  }
  throw new ProtocolError('VarInt longer than 5 bytes');
}

export function varInt(value: number): Buffer {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return Buffer.from(out);
}

export function mcString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([varInt(bytes.length), bytes]);
}

/** One framed packet: length, id, body. */
export function packet(id: number, ...body: Buffer[]): Buffer {
  const data = Buffer.concat([varInt(id), ...body]);
  return Buffer.concat([varInt(data.length), data]);
}

/**
 * The first complete packet in `buffer`: id, body and the offset after it; null while more bytes are
 * needed. A declared length above `maxLength` (or below 1) is a protocol error: nothing legitimate the
 * gateway reads is that long, and waiting for it would let a client hold memory.
 */
export function readPacket(
  buffer: Buffer,
  offset: number,
  maxLength: number,
): { id: number; body: Buffer; next: number } | null {
  const length = readVarInt(buffer, offset);
  if (!length) return null;
  if (length.value < 1 || length.value > maxLength)
    throw new ProtocolError(`packet length ${length.value} out of range`);
  const end = length.next + length.value;
  if (buffer.length < end) return null;
  const id = readVarInt(buffer, length.next);
  if (!id || id.next > end) throw new ProtocolError('packet id runs past the packet');
  return { id: id.value, body: buffer.subarray(id.next, end), next: end };
}

/** A string at `offset` of a complete packet body (the body is whole, so running out is an error). */
export function readString(body: Buffer, offset: number, maxBytes: number): { value: string; next: number } {
  const length = readVarInt(body, offset);
  if (!length) throw new ProtocolError('string length runs past the packet');
  if (length.value < 0 || length.value > maxBytes)
    throw new ProtocolError(`string of ${length.value} bytes is too long`);
  const end = length.next + length.value;
  if (end > body.length) throw new ProtocolError('string runs past the packet');
  return { value: body.toString('utf8', length.next, end), next: end };
}
