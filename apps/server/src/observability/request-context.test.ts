import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { instrumentRuntime } from './instrumented-runtime.js';
import { RequestContexts } from './request-context.js';

describe('request ids in logs and runtime operations', () => {
  it('follow the work a request started, across awaits and timers, and nothing outside it', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const contexts = new RequestContexts();
    const logger = pino({ level: 'info', mixin: () => contexts.logFields() }, sink);
    const registry = new Registry();
    // Only the operation under test is called; the rest of the port is not needed here.
    const runtime = instrumentRuntime(
      {
        sendCommand: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
      } as unknown as RuntimeDriver,
      registry,
      logger,
    );

    await contexts.run({ requestId: 'req-123' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      // Background work started by the request (the answer has gone out) keeps the id.
      setTimeout(() => void runtime.sendCommand('server-1', 'say hi'), 1);
    });
    await runtime.sendCommand('server-2', 'say outside');
    await new Promise((resolve) => setTimeout(resolve, 30));

    const inside = lines.find((l) => l.serverId === 'server-1');
    const outside = lines.find((l) => l.serverId === 'server-2');
    expect(inside).toMatchObject({
      msg: 'runtime operation',
      operation: 'sendCommand',
      requestId: 'req-123',
    });
    expect(outside).toMatchObject({ msg: 'runtime operation' });
    expect(outside).not.toHaveProperty('requestId');
    const metrics = await registry.metrics();
    expect(metrics).toContain(
      'minefleet_runtime_operation_duration_seconds_count{operation="sendCommand",outcome="ok"} 2',
    );
  });
});
