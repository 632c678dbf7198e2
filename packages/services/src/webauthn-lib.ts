import type * as Lib from '@simplewebauthn/server';

/**
 * The WebAuthn library's four calls, loaded on the first passkey request rather than at start: with its
 * ASN.1 and certificate parsers it holds ~4 MiB of heap, and most control planes never serve a passkey.
 */
let loaded: Promise<typeof Lib> | undefined;
const lib = () => (loaded ??= import('@simplewebauthn/server'));

export async function generateRegistrationOptions(
  ...args: Parameters<typeof Lib.generateRegistrationOptions>
): ReturnType<typeof Lib.generateRegistrationOptions> {
  return (await lib()).generateRegistrationOptions(...args);
}

export async function verifyRegistrationResponse(
  ...args: Parameters<typeof Lib.verifyRegistrationResponse>
): ReturnType<typeof Lib.verifyRegistrationResponse> {
  return (await lib()).verifyRegistrationResponse(...args);
}

export async function generateAuthenticationOptions(
  ...args: Parameters<typeof Lib.generateAuthenticationOptions>
): ReturnType<typeof Lib.generateAuthenticationOptions> {
  return (await lib()).generateAuthenticationOptions(...args);
}

export async function verifyAuthenticationResponse(
  ...args: Parameters<typeof Lib.verifyAuthenticationResponse>
): ReturnType<typeof Lib.verifyAuthenticationResponse> {
  return (await lib()).verifyAuthenticationResponse(...args);
}

export type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
