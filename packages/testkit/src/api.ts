/**
 * A small HTTP client for tests that talk to a real control plane over the network, the way any client
 * would. It returns status and parsed body and never throws on an error status, so tests assert both.
 */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface SignedUp {
  token: string;
  userId: string;
  tenantId: string;
  email: string;
  password: string;
}

let counter = 0;

export class TestApi {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0)
      parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', `/api/v1${path}`, { token });
  }
  post<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>('POST', `/api/v1${path}`, { token, body });
  }
  patch<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>('PATCH', `/api/v1${path}`, { token, body });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', `/api/v1${path}`, { token });
  }

  /** Signs up a fresh user (with its own tenant) and returns its session. */
  async signup(prefix = 'user'): Promise<SignedUp> {
    const email = `${prefix}-${process.pid}-${Date.now()}-${counter++}@example.com`;
    const password = 'a long test passphrase';
    const res = await this.post('/auth/signup', { email, password });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { token: res.body.token, userId: res.body.user.id, tenantId: res.body.tenant.id, email, password };
  }

  /** Polls a server until `predicate` holds; fails with the last state seen. */
  async waitForServer(
    id: string,
    token: string,
    predicate: (server: any) => boolean,
    timeoutMs = 30_000,
    query = '',
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | undefined;
    while (Date.now() < deadline) {
      last = await this.get(`/servers/${id}${query}`, token);
      if (last.status === 200 && predicate(last.body)) return last.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server ${id} did not reach the expected state; last: ${JSON.stringify(last?.body)}`);
  }

  waitForStatus(id: string, token: string, status: string, timeoutMs = 30_000) {
    return this.waitForServer(id, token, (s) => s.status === status, timeoutMs);
  }
}
