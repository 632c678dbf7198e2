import type { Schemas } from '@minefleet/api-client/client';
import { ROLE_PERMISSIONS } from '@minefleet/domain/permissions';
import { ApiError, call, createApi, type Api } from './api.js';
import { answerChallenge } from './passkeys.js';

export type Role = Schemas['Member']['role'];

export interface Me {
  user: Schemas['User'];
  tenant: Schemas['Tenant'];
  role: Role;
  /** The custom role deciding what the user holds here, if any (their `role` is then viewer). */
  custom_role?: { id: string; name: string } | null;
  tenants: { tenant: Schemas['Tenant']; role: Role }[];
  quota: Schemas['QuotaUsage'];
  /** The permission keys the user holds in this tenant (docs/security.md). */
  permissions?: string[];
}

const STORAGE_KEY = 'minefleet.session';

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

  /**
   * Whether the signed-in user holds a permission key in the current tenant: what `GET /me` listed (their
   * built-in or custom role's), else what their built-in role holds.
   */
  allows(permission: string): boolean {
    if (!this.me) return false;
    if (this.me.permissions) return this.me.permissions.includes(permission);
    return (ROLE_PERMISSIONS[this.me.role] as ReadonlySet<string>).has(permission);
  }

  /**
   * Signs up, then signs in with the same email and password: sign-up answers the same whether or not
   * the address has an account and opens no session. Answers the server's "check your email" message
   * when that sign-in is refused (the address had an account with another password: its owner was
   * mailed), undefined once signed in. MFA_REQUIRED is thrown as from `login`.
   */
  async signup(input: {
    email: string;
    password: string;
    display_name?: string;
    tenant_name?: string;
  }): Promise<string | undefined> {
    const answer = await call(this.api.client.POST('/api/v1/auth/signup', { body: input }));
    try {
      await this.login({ email: input.email, password: input.password });
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'INVALID_CREDENTIALS') return answer.message;
      throw error;
    }
  }

  async login(input: { email: string; password: string }) {
    const result = await call(this.api.client.POST('/api/v1/auth/login', { body: input }));
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  /** The code step of a two-factor sign-in (after the password answered MFA_REQUIRED). */
  async loginSecondFactor(mfaToken: string, code: string) {
    const result = await call(
      this.api.client.POST('/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, code } }),
    );
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  /** The second step with a passkey of the account (after the password answered MFA_REQUIRED). */
  async loginSecondFactorPasskey(mfaToken: string) {
    const begun = await call(
      this.api.client.POST('/api/v1/auth/login/mfa/passkey/options', { body: { mfa_token: mfaToken } }),
    );
    const response = await answerChallenge(begun.options);
    const result = await call(
      this.api.client.POST('/api/v1/auth/login/mfa/passkey', {
        body: { mfa_token: mfaToken, challenge_id: begun.challenge_id, response },
      }),
    );
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  /** Passwordless sign-in: the browser offers the passkeys it holds for this site. */
  async loginWithPasskey() {
    const begun = await call(this.api.client.POST('/api/v1/auth/passkey/options'));
    const response = await answerChallenge(begun.options);
    const result = await call(
      this.api.client.POST('/api/v1/auth/passkey', { body: { challenge_id: begun.challenge_id, response } }),
    );
    this.begin(result.token, result.expires_at);
    await this.refresh();
  }

  /** Takes a session a single sign-on callback handed over (in the landing page's URL fragment). */
  async adopt(token: string, expiresAt: string | null) {
    this.begin(token, expiresAt);
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
      await this.renewIfEnding();
      const me = await call(this.api.client.GET('/api/v1/me'));
      this.me = me;
      return this.me;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.code === 'TENANT_NOT_FOUND')) {
        this.end('Your session has ended. Please sign in again.');
        return undefined;
      }
      throw error;
    }
  }

  /** Ends the session on the server too (every token of it), then here. */
  async logout() {
    try {
      await this.api.client.POST('/api/v1/auth/logout');
    } catch {
      // Offline: the token is forgotten here anyway.
    }
    this.end(undefined);
  }

  /** Ends the session here after the server ended it (sign out everywhere). */
  forget(reason: string | undefined) {
    this.end(reason);
  }

  /**
   * A token with less than an hour left is exchanged for a fresh one of the same session (no password),
   * so a dashboard in use stays signed in until the session's idle or absolute end.
   */
  private async renewIfEnding() {
    if (!this.expiresAt || Date.parse(this.expiresAt) - Date.now() > 3600_000) return;
    const result = await call(this.api.client.POST('/api/v1/auth/refresh'));
    this.begin(result.token, result.expires_at);
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
