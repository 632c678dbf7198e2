import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

const STREAM =
  ': connected\n\n' +
  'event: console\ndata: {"a":1}\n\n' +
  ': ping\n\n' +
  'event: status\r\ndata: line one\r\ndata: line two\r\n\r\n' +
  'data:no space\rid: 7\r\r\n';

describe('SseParser', () => {
  it('parses events, comments, multi-line data and every line ending', () => {
    const events = new SseParser().push(STREAM);
    expect(events).toEqual([
      { event: 'console', data: '{"a":1}' },
      { event: 'status', data: 'line one\nline two' },
      { event: 'message', data: 'no space', id: '7' },
    ]);
  });

  it('gives the same events whatever the chunking, even a \\r\\n split in two', () => {
    const whole = new SseParser().push(STREAM);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < STREAM.length; i += size) events.push(...parser.push(STREAM.slice(i, i + size)));
      expect(events).toEqual(whole);
    }
  });

  it('keeps an unfinished event until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('event: console\ndata: x\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'console', data: 'x' }]);
  });

  it('ignores an event with no data', () => {
    expect(new SseParser().push('event: dropped\n\ndata: y\n\n')).toEqual([{ event: 'message', data: 'y' }]);
  });

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
