import { decodeJwt } from 'jose';

/**
 * When an access token stops being good (epoch ms), read from its `exp` claim; null when
 * it has none. Only asked about tokens `authenticate` has just verified, so the claim is
 * the signer's word; the socket holds itself to it (see `Connection.checkToken`).
 */
export function tokenExpiresAt(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}
