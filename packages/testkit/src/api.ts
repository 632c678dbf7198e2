import { linkIn, tokenOf, type Mailbox } from './mailbox.js';

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
  /** With a mailbox (the control plane's SMTP server), `signup()` also verifies the email. */
  constructor(
    readonly baseUrl: string,
    readonly mailbox?: Mailbox,
  ) {}

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

  /** Signs up a fresh address without signing in (no session, unverified): for tests that count sign-ins. */
  async createAccount(prefix = 'user'): Promise<{ email: string; password: string }> {
    const email = `${prefix}-${process.pid}-${Date.now()}-${counter++}@example.com`;
    const password = 'a long test passphrase';
    const res = await this.post('/auth/signup', { email, password });
    if (res.status !== 202) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { email, password };
  }

  /**
   * Signs up a fresh user (with its own tenant) and signs in as it (sign-up itself answers the same for
   * every address and opens no session), returning the session. With a mailbox, the email is verified
   * the way a user does it, by the link in the mail (`{ verify: false }` leaves it unverified).
   */
  async signup(prefix = 'user', options: { verify?: boolean } = {}): Promise<SignedUp> {
    const email = `${prefix}-${process.pid}-${Date.now()}-${counter++}@example.com`;
    const password = 'a long test passphrase';
    const res = await this.post('/auth/signup', { email, password });
    if (res.status !== 202) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    const login = await this.post('/auth/login', { email, password });
    if (login.status !== 200)
      throw new Error(`sign-in after signup failed: ${login.status} ${JSON.stringify(login.body)}`);
    if (this.mailbox && options.verify !== false) await this.verifyEmail(email);
    return {
      token: login.body.token,
      userId: login.body.user.id,
      tenantId: login.body.tenant.id,
      email,
      password,
    };
  }

  /** Follows the verification link mailed to `email`. */
  async verifyEmail(email: string): Promise<void> {
    if (!this.mailbox) throw new Error('verifyEmail needs a mailbox');
    const mail = await this.mailbox.waitFor(email, /verify/i);
    const res = await this.post('/auth/verify-email', { token: tokenOf(linkIn(mail)) });
    if (res.status !== 200) throw new Error(`verification failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /**
   * Polls `GET path` until it answers 200 with a body `predicate` accepts (something written a moment
   * after the call that caused it, say); fails with the last answer seen.
   */
  async waitForBody(
    path: string,
    token: string,
    predicate: (body: any) => boolean,
    timeoutMs = 30_000,
  ): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | undefined;
    while (Date.now() < deadline) {
      last = await this.get(path, token);
      if (last.status === 200 && predicate(last.body)) return last.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${path} did not reach the expected state; last: ${last?.status} ${JSON.stringify(last?.body)}`,
    );
  }

  /**
   * A server's recorded wakes, once there is one: a wake is recorded as it ends, which may be a moment
   * after the player was answered or let in.
   */
  async waitForWakes(id: string, token: string, timeoutMs = 10_000): Promise<any[]> {
    const body = await this.waitForBody(
      `/servers/${id}/wakes`,
      token,
      (b: { wakes: unknown[] }) => b.wakes.length > 0,
      timeoutMs,
    );
    return body.wakes;
  }

  /** Polls a server until `predicate` holds; fails with the last state seen. */
  waitForServer(
    id: string,
    token: string,
    predicate: (server: any) => boolean,
    timeoutMs = 30_000,
    query = '',
  ): Promise<any> {
    return this.waitForBody(`/servers/${id}${query}`, token, predicate, timeoutMs);
  }

  waitForStatus(id: string, token: string, status: string, timeoutMs = 30_000) {
    return this.waitForServer(id, token, (s) => s.status === status, timeoutMs);
  }
}
