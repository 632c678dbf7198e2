import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { call, type Api } from './api.js';

/** Whether this browser can use passkeys at all (WebAuthn needs a secure context). */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && 'PublicKeyCredential' in window;
}

/**
 * Adds a passkey: registration options from the server (password required), the browser's prompt,
 * the answer back. Answers the passkey and, for the account's first second factor, recovery codes.
 */
export async function addPasskey(api: Api, password: string, name: string) {
  const begun = await call(api.client.POST('/api/v1/me/passkeys/options', { body: { password } }));
  const response = await startRegistration({
    optionsJSON: begun.options as unknown as PublicKeyCredentialCreationOptionsJSON,
  });
  return call(
    api.client.POST('/api/v1/me/passkeys', {
      body: {
        challenge_id: begun.challenge_id,
        ...(name.trim() ? { name: name.trim() } : {}),
        // The server's schema is this JSON form of the credential.
        response: response as never,
      },
    }),
  );
}

/** The browser's answer to authentication options from the server, in the JSON form it accepts. */
export async function answerChallenge(options: Record<string, unknown>): Promise<never> {
  const response = await startAuthentication({
    optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
  });
  return response as never;
}
