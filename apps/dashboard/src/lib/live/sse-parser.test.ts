import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('assembles messages split across chunks, ignores comments, handles CRLF', () => {
    const parser = new SseParser();
    expect(parser.push(': connected\n\nevent: cons')).toEqual([]);
    expect(parser.push('ole\r\ndata: {"a":1}\r')).toEqual([]);
    expect(parser.push('\n\r\n: ping\n\nevent: status\ndata: x\ndata: y\n\n')).toEqual([
      { event: 'console', data: '{"a":1}' },
      { event: 'status', data: 'x\ny' },
    ]);
  });

  it('defaults the event name to "message" and needs data to emit', () => {
    const parser = new SseParser();
    expect(parser.push('event: lonely\n\ndata: hi\n\n')).toEqual([{ event: 'message', data: 'hi' }]);
  });
});
