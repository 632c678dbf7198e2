import type { Schemas } from '@minefleet/api-client/client';
import { ApiError, call, createApi, type Api } from './api.js';

export type Role = Schemas['Member']['role'];

export interface Me {
  user: Schemas['User'];
  tenant: Schemas['Tenant'];
  role: Role;
  tenants: { tenant: Schemas['Tenant']; role: Role }[];
  quota: Schemas['QuotaUsage'];
}

const STORAGE_KEY = 'minefleet.session';
const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

interface StoredSession {
  token: string;
  expiresAt: string | null;
}

/**
 * Who is signed in. The token lives in localStorage so a reload or a second tab stays signed in; the
 * strict CSP (no inline or third-party scripts) is what keeps other scripts from reading it.
 */
export class Session {
  token = $state<string | undefined>(undefined);
  expiresAt = $state<string | null>(null);
  me = $state<Me | undefined>(undefined);
  /** Set when the API said the session is no longer valid, to explain the sign-in page. */
  endedReason = $state<string | undefined>(undefined);
  readonly api: Api;

  constructor(
    private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined,
    baseUrl: string,
    fetchImpl?: typeof fetch,
  ) {
    const stored = this.read();
    if (stored) {
      this.token = stored.token;
      this.expiresAt = stored.expiresAt;
    }
    const wrapped: typeof fetch = async (input, init) => {
      const response = await (fetchImpl ?? globalThis.fetch)(input, init);
      // An expired or revoked session anywhere in the app sends the user back to sign in.
      if (
        response.status === 401 &&
        this.token &&
        !String(input instanceof Request ? input.url : input).includes('/auth/')
      ) {
        this.end('Your session has ended. Please sign in again.');
      }
      return response;
    };
    this.api = createApi({ baseUrl, token: () => this.token, fetch: wrapped });
  }

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** Whether the signed-in user's role in the current tenant is at least `role`. */
  can(role: Role): boolean {
    return this.me !== undefined && ROLE_RANK[this.me.role] >= ROLE_RANK[role];
  }

  async signup(input: { email: string; password: string; display_name?: string; tenant_name?: string }) {
    const result = await call(this.api.client.POST('/api/v1/auth/signup', { body: input }));
    this.begin(result.token, null);
    await this.refresh();
  }

  async login(input: { email: string; password: string }) {
    const result = await call(this.api.client.POST('/api/v1/auth/login', { body: input }));
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  async switchTenant(tenantId: string) {
    const result = await call(
      this.api.client.POST('/api/v1/auth/switch-tenant', { body: { tenant_id: tenantId } }),
    );
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  async refresh(): Promise<Me | undefined> {
    if (!this.token) return undefined;
    try {
      const me = await call(this.api.client.GET('/api/v1/me'));
      this.me = me as Me;
      return this.me;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.code === 'TENANT_NOT_FOUND')) {
        this.end('Your session has ended. Please sign in again.');
        return undefined;
      }
      throw error;
    }
  }

  logout() {
    this.end(undefined);
  }

  private begin(token: string, expiresAt: string | null) {
    this.token = token;
    this.expiresAt = expiresAt;
    this.endedReason = undefined;
    this.storage?.setItem(STORAGE_KEY, JSON.stringify({ token, expiresAt } satisfies StoredSession));
  }

  private end(reason: string | undefined) {
    this.token = undefined;
    this.expiresAt = null;
    this.me = undefined;
    this.endedReason = reason;
    this.storage?.removeItem(STORAGE_KEY);
  }

  private read(): StoredSession | undefined {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      if (!raw) return undefined;
      const parsed = JSON.parse(raw) as StoredSession;
      if (typeof parsed.token !== 'string') return undefined;
      if (parsed.expiresAt && Date.parse(parsed.expiresAt) < Date.now()) return undefined;
      return parsed;
    } catch {
      return undefined;
    }
  }
}
