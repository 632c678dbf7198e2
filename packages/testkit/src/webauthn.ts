import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator (ES256, `none` attestation, discoverable credentials, user
 * verification) for API tests: it answers the control plane's options the way a browser and a
 * platform authenticator do, byte for byte per the WebAuthn spec, so the server's real verification
 * runs against it. The browser tests use Chromium's own virtual authenticator instead.
 */
export class SoftAuthenticator {
  readonly credentials = new Map<
    string,
    { privateKey: KeyObject; rpId: string; userHandle: string; counter: number }
  >();

  constructor(private readonly origin: string) {}

  /** Answers registration options (as the server sent them) with a new credential. */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }): RegistrationJson {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const id = randomBytes(16).toString('base64url');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const idBytes = Buffer.from(id, 'base64url');
    const authData = Buffer.concat([
      sha256(Buffer.from(rpId)),
      Buffer.from([0x45]), // user present, user verified, attested credential data
      uint32(0),
      Buffer.alloc(16), // AAGUID
      Buffer.from([idBytes.length >> 8, idBytes.length & 0xff]),
      idBytes,
      cose,
    ]);
    this.credentials.set(id, { privateKey, rpId, userHandle: options.user.id, counter: 0 });
    const clientData = this.clientData('webauthn.create', options.challenge);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        attestationObject: cbor(
          new Map<string, unknown>([
            ['fmt', 'none'],
            ['attStmt', new Map()],
            ['authData', authData],
          ]),
        ).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * Answers authentication options with `credentialId` (default: the first allowed one, or any).
   * `counter` overrides the signature counter (to play a cloned authenticator).
   */
  authenticate(
    options: { challenge: string; allowCredentials?: { id: string }[] },
    choice: { credentialId?: string; counter?: number } = {},
  ): AuthenticationJson {
    const id =
      choice.credentialId ??
      options.allowCredentials?.map((c) => c.id).find((c) => this.credentials.has(c)) ??
      [...this.credentials.keys()][0];
    const credential = id ? this.credentials.get(id) : undefined;
    if (!id || !credential) throw new Error('no credential for these options');
    credential.counter = choice.counter ?? credential.counter + 1;
    const authData = Buffer.concat([
      sha256(Buffer.from(credential.rpId)),
      Buffer.from([0x05]), // user present, user verified
      uint32(credential.counter),
    ]);
    const clientData = this.clientData('webauthn.get', options.challenge);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }
}

export interface RegistrationJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: string;
}

export interface AuthenticationJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: string;
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The CBOR (RFC 8949) an authenticator writes: integers, byte and text strings, maps. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    return Buffer.concat([Buffer.from([(major << 5) | 26]), uint32(n)]);
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: cannot encode ${typeof value}`);
}
