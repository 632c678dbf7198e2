import { describe, expect, it } from 'vitest';
import { IdentityConfigError, loadIdentityConfig } from './identity-config.js';

describe('passkey settings', () => {
  it('leave RP ID and origins to the public URL when unset', () => {
    expect(loadIdentityConfig({}).webauthn).toEqual({
      rpId: undefined,
      rpName: 'Minefleet',
      origins: undefined,
    });
  });

  it('read an RP ID, a name and a list of origins', () => {
    const { webauthn } = loadIdentityConfig({
      MINEFLEET_WEBAUTHN_RP_ID: 'Example.com',
      MINEFLEET_WEBAUTHN_RP_NAME: 'Our servers',
      MINEFLEET_WEBAUTHN_ORIGINS: 'https://mc.example.com, https://panel.example.com:8443/',
    });
    expect(webauthn).toEqual({
      rpId: 'example.com',
      rpName: 'Our servers',
      origins: ['https://mc.example.com', 'https://panel.example.com:8443'],
    });
  });

  it('refuse at start an RP ID that is not a host name and an origin with a path', () => {
    expect(() => loadIdentityConfig({ MINEFLEET_WEBAUTHN_RP_ID: 'https://example.com' })).toThrow(
      IdentityConfigError,
    );
    expect(() => loadIdentityConfig({ MINEFLEET_WEBAUTHN_ORIGINS: 'https://example.com/dashboard' })).toThrow(
      /MINEFLEET_WEBAUTHN_ORIGINS/,
    );
    expect(() => loadIdentityConfig({ MINEFLEET_WEBAUTHN_ORIGINS: 'ftp://example.com' })).toThrow(
      IdentityConfigError,
    );
  });
});
