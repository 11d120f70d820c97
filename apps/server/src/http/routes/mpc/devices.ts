/**
 * Device enrolment (public, rate-limited per IP: every enrolled device can make the server spend
 * CPU seconds on pairings): a single-use challenge, then the device's P-256 public key with its
 * signature over the challenge. See mpc/device-auth.ts for the exact messages.
 */
import { z } from 'zod';
import { createChallenge, enrolDevice } from '../../../mpc/device-auth.js';
import { requireMpc } from '../../../mpc/sessions.js';
import { defineRoute, type Route } from '../../route.js';

export function deviceRoutes(perMinute: number): Route[] {
  const challenge = defineRoute({
    method: 'POST',
    url: '/v1/mpc/devices/challenge',
    summary: 'A single-use enrolment challenge (5 minutes)',
    access: { public: true, perMinute },
    async handler({ services, reply }) {
      requireMpc(services);
      const created = await createChallenge(services.db);
      reply.header('cache-control', 'no-store');
      return { challenge: created.challenge, expiresAt: created.expiresAt.toISOString() };
    },
  });

  const enrol = defineRoute({
    method: 'POST',
    url: '/v1/mpc/devices',
    summary: "Enrol a device's P-256 key with a signed challenge",
    access: { public: true, perMinute },
    body: z
      .object({
        publicKey: z.string().max(200),
        challenge: z.string().max(100),
        signature: z.string().max(200),
      })
      .strict(),
    async handler({ body, services, reply }) {
      requireMpc(services);
      const { deviceId } = await enrolDevice(services.db, body);
      reply.status(201);
      return { deviceId };
    },
  });

  return [challenge, enrol];
}
