import type { ApiResponse } from '@minefleet/testkit/api';
import type { ChaosPlatform } from './platform.js';

/**
 * API calls that ride out the faults: a refused connection (the replica is dead) or an answer of 500 or
 * 503 (the database is away) is tried again on whichever replica is up, until `timeoutMs`. Any other
 * answer (2xx, 4xx) is returned as it is.
 */
export async function call<T = any>(
  platform: ChaosPlatform,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<ApiResponse<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let attempt = 0; ; attempt++) {
    const live = platform.liveReplicas();
    const replica = live[attempt % Math.max(1, live.length)];
    try {
      if (!replica) throw new Error('no control plane is up');
      const res = await replica.api.request<T>(method, `/api/v1${path}`, {
        token: platform.user?.token,
        ...(body !== undefined ? { body } : {}),
      });
      if (res.status < 500) return res;
      last = new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${method} ${path} gave no answer in ${timeoutMs} ms: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
