/**
 * Who may call what. Three principals: the operator (a configured bearer token), an account user
 * (a session cookie plus a CSRF header on writes) and a wallet device (requests signed with the
 * device's own key; the MPC wallet capability supplies the verifier). A device is not tied to an
 * exchange account: it owns the wallets it created, which the MPC routes enforce. Every route
 * declares its access; the server refuses to register one that does not.
 */
import type { FastifyRequest } from 'fastify';
import type { SessionPrincipal } from '../identity/sessions.js';

export const PRINCIPAL_KINDS = ['operator', 'account', 'device', 'apikey'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export type Principal =
  | { kind: 'operator' }
  | { kind: 'account'; accountId: bigint; name: string; session: SessionPrincipal }
  | DevicePrincipal
  | ApiKeyPrincipal;

/** An exchange API key, authenticated OKX-v5 style (signature over the exact request bytes). */
export interface ApiKeyPrincipal {
  kind: 'apikey';
  apiKey: string;
  accountId: bigint;
  permissions: readonly ApiKeyPermission[];
  brokerId: string | null;
}

export type ApiKeyPermission = 'read' | 'trade' | 'withdraw';

export interface DevicePrincipal {
  kind: 'device';
  deviceId: string;
}

export type Access =
  /** No credentials; rate-limited per client IP (`perMinute` overrides the server default). */
  | { public: true; perMinute?: number }
  | {
      public?: false;
      principals: readonly PrincipalKind[];
      /** Also answer unauthenticated requests that arrive from a loopback address. */
      loopback?: boolean;
      /** Route parameter holding an account id that an account principal must own. */
      ownerParam?: string;
      /** For `apikey` routes: the key permission the route needs (OKX: read, trade, withdraw). */
      permission?: ApiKeyPermission;
    };

/**
 * Verifies a device-signed request in two steps, registered by the capability that enrols
 * devices. `identify` runs in the access hook, before the body is read: it checks the headers
 * (and may refuse at once) and names the device, or returns undefined when the request carries no
 * device credentials. `verify` runs once the body is parsed, over its exact bytes; only when it
 * resolves does the request get its device principal, so no handler ever sees an unverified one.
 */
export interface DeviceAuthenticator {
  identify(request: FastifyRequest): Promise<DevicePrincipal | undefined>;
  verify(request: FastifyRequest, principal: DevicePrincipal, rawBody: Uint8Array): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** The capability module that registered the route. */
    module?: string;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** A device named by the access hook whose signature is checked after body parsing. */
    pendingDevice: DevicePrincipal | undefined;
    /** An API-key request whose OKX signature is checked after body parsing (the permission it needs). */
    pendingApiKey: ApiKeyPermission | undefined;
    /** The exact bytes of a JSON body (what a device signature covers). */
    rawBody: Buffer | undefined;
  }
}
