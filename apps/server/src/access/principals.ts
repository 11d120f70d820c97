/**
 * Who may call what. Three principals: the operator (a configured bearer token), an account user
 * (a session cookie plus a CSRF header on writes) and a wallet device (requests signed with the
 * device's own key; the MPC wallet capability supplies the verifier). Every route declares its
 * access; the server refuses to register one that does not.
 */
import type { FastifyRequest } from 'fastify';
import type { SessionPrincipal } from '../identity/sessions.js';

export const PRINCIPAL_KINDS = ['operator', 'account', 'device'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export type Principal =
  | { kind: 'operator' }
  | { kind: 'account'; accountId: bigint; name: string; session: SessionPrincipal }
  | { kind: 'device'; deviceId: string; accountId: bigint };

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
    };

/** Verifies a device-signed request; registered by the capability that enrols devices. */
export type DeviceAuthenticator = (
  request: FastifyRequest,
) => Promise<Extract<Principal, { kind: 'device' }> | undefined>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** The capability module that registered the route. */
    module?: string;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}
