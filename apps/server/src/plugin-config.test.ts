import { describe, expect, it } from 'vitest';
import { PluginConfigError, loadPluginSourcesConfig } from './plugin-config.js';

describe('plugin sources from the environment', () => {
  it('defaults to the public APIs and the shipped catalogue', () => {
    expect(loadPluginSourcesConfig({}, '0.1.0')).toEqual({
      sources: ['local', 'modrinth', 'hangar'],
      modrinthUrl: 'https://api.modrinth.com/v2',
      hangarUrl: 'https://hangar.papermc.io/api/v1',
      userAgent: 'minefleet/0.1.0 (self-hosted Minecraft server panel)',
      timeoutMs: 10_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadPluginSourcesConfig(
        {
          MINEFLEET_PLUGIN_SOURCES: 'local, hangar',
          MINEFLEET_MODRINTH_URL: 'http://127.0.0.1:9000/v2/',
          MINEFLEET_HANGAR_URL: 'https://hangar.example.org/api/v1',
          MINEFLEET_LOCAL_CATALOGUE: '/srv/catalogue',
          MINEFLEET_PLUGIN_USER_AGENT: 'acme-hosting/minefleet (ops@acme.example)',
          MINEFLEET_PLUGIN_HTTP_TIMEOUT_MS: '2500',
        },
        '0.1.0',
      ),
    ).toEqual({
      sources: ['local', 'hangar'],
      modrinthUrl: 'http://127.0.0.1:9000/v2',
      hangarUrl: 'https://hangar.example.org/api/v1',
      localCatalogueDir: '/srv/catalogue',
      userAgent: 'acme-hosting/minefleet (ops@acme.example)',
      timeoutMs: 2500,
    });
  });

  it.each([
    [{ MINEFLEET_PLUGIN_SOURCES: 'local,spigot' }, /unknown source\(s\) spigot/],
    [{ MINEFLEET_MODRINTH_URL: 'ftp://mirror' }, /http\(s\)/],
    [{ MINEFLEET_HANGAR_URL: 'not a url' }, /not a URL/],
    [{ MINEFLEET_PLUGIN_HTTP_TIMEOUT_MS: 'soon' }, /TIMEOUT_MS/],
  ])('refuses %j', (env, message) => {
    expect(() => loadPluginSourcesConfig(env, '0.1.0')).toThrow(message);
    expect(() => loadPluginSourcesConfig(env, '0.1.0')).toThrow(PluginConfigError);
  });
});
