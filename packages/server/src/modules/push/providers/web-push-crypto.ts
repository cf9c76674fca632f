import { createCipheriv, createECDH, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Web Push message encryption (RFC 8291) in the `aes128gcm` content coding (RFC 8188):
 * an ephemeral P-256 key agreed with the browser's key, mixed with its auth secret, gives
 * the content key and nonce; the payload is one record, ending with the 0x02 delimiter.
 */

/** Record size written in the header; one record holds the whole payload. */
const RECORD_SIZE = 4096;
/** salt (16) + rs (4) + idlen (1) + keyid (65) */
export const HEADER_BYTES = 86;
/** AES-GCM tag (16) + the padding delimiter (1). */
export const OVERHEAD_BYTES = HEADER_BYTES + 16 + 1;

export function encryptWebPush(plaintext: Buffer, uaPublicB64: string, authSecretB64: string, salt: Buffer = randomBytes(16)): Buffer {
  const uaPublic = Buffer.from(uaPublicB64, 'base64url');
  const authSecret = Buffer.from(authSecretB64, 'base64url');
  if (uaPublic.length !== 65 || uaPublic[0] !== 4) throw new Error('p256dh is not an uncompressed P-256 point');
  if (authSecret.length !== 16) throw new Error('auth is not 16 bytes');
  const ecdh = createECDH('prime256v1');
  const asPublic = ecdh.generateKeys();
  const sharedSecret = ecdh.computeSecret(uaPublic);
  // RFC 8291 §3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', sharedSecret, authSecret, keyInfo, 32));
  // RFC 8188 §2.2/2.3: content key and nonce from the salt.
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const sealed = Buffer.concat([cipher.update(Buffer.concat([plaintext, Buffer.from([2])])), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(HEADER_BYTES);
  salt.copy(header, 0);
  header.writeUInt32BE(RECORD_SIZE, 16);
  header[20] = 65;
  asPublic.copy(header, 21);
  return Buffer.concat([header, sealed]);
}

/** A VAPID key pair (RFC 8292) as Web Push libraries exchange them: raw public point and private scalar, base64url. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export function generateVapidKeys(): VapidKeys {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d! };
}

/** The private key as a JWK (what `jose` signs with); throws when the two halves do not make a P-256 key. */
export function vapidJwk(keys: VapidKeys): { kty: 'EC'; crv: 'P-256'; x: string; y: string; d: string } {
  const point = Buffer.from(keys.publicKey, 'base64url');
  const d = Buffer.from(keys.privateKey, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('the VAPID public key is not an uncompressed P-256 point (65 bytes, base64url)');
  if (d.length !== 32) throw new Error('the VAPID private key is not 32 bytes (base64url)');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  if (!ecdh.getPublicKey().equals(point)) throw new Error('the VAPID public key does not belong to the private key');
  return { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url'), d: keys.privateKey };
}
