/**
 * A browser's redirect-following for tests of sign-in flows: GETs with cookies kept per origin (with
 * their Path), following 3xx answers by hand until `until(url)` says stop, so a test can look at or
 * change any hop (an OpenID provider's redirect back to the callback, for instance).
 */
export class CookieBrowser {
  private readonly jar = new Map<string, Map<string, { value: string; path: string }>>();

  /** Follows redirects from `start` while `until(url)` is false; answers the URL it stopped at. */
  async follow(start: string, until: (url: URL) => boolean = () => false, maxHops = 20): Promise<URL> {
    let url = new URL(start);
    for (let hop = 0; hop < maxHops; hop++) {
      if (until(url)) return url;
      const response = await this.get(url);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(`${url.href} answered ${response.status}: ${await response.text()}`);
      }
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new Error(`more than ${maxHops} redirects from ${start}`);
  }

  /** One GET with this browser's cookies; keeps the cookies it sets. */
  async get(url: URL, headers: Record<string, string> = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.origin) ?? new Map()).entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookies ? { ...headers, cookie: cookies } : headers,
    });
    for (const line of response.headers.getSetCookie()) this.keep(url, line);
    return response;
  }

  /** Forgets every cookie (a different browser). */
  clear(): void {
    this.jar.clear();
  }

  private keep(url: URL, line: string): void {
    const [pair, ...attributes] = line.split(';').map((p) => p.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key, val = ''] = attribute.split('=');
      if (key!.toLowerCase() === 'path') path = val;
      if (key!.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      if (key!.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
    }
    const cookies = this.jar.get(url.origin) ?? new Map<string, { value: string; path: string }>();
    this.jar.set(url.origin, cookies);
    if (expired) cookies.delete(name);
    else cookies.set(name, { value, path });
  }
}
