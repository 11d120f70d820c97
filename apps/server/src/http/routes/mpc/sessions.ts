/**
 * One step of any protocol session (DKG, refresh, pairing, presigning): the device's envelopes for
 * the next round in, the server party's envelopes out (mpc/sessions.ts runs it).
 */
import { z } from 'zod';
import { DRIVERS } from '../../../mpc/drivers.js';
import { stepSession } from '../../../mpc/sessions.js';
import { defineRoute, type Route } from '../../route.js';
import { devicePrincipal } from './wallets.js';

const step = defineRoute({
  method: 'POST',
  url: '/v1/mpc/sessions/:sessionId',
  summary: 'Feed the device’s envelopes of one round to the server party; get its envelopes back',
  access: { principals: ['device'] },
  params: z.object({ sessionId: z.string().regex(/^[0-9a-f]{64}$/, 'expected a session id') }),
  body: z.object({ messages: z.array(z.unknown()).max(8) }).strict(),
  async handler({ params, body, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    return stepSession(services, DRIVERS, deviceId, params.sessionId, body.messages);
  },
});

export const sessionRoutes: readonly Route[] = [step];
