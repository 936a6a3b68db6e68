import { withL402 } from '@farebox/server/next';
import { paywall } from '../../../lib/paywall.js';

export const dynamic = 'force-dynamic';

// Slow enough that concurrent requests with one token overlap.
export const GET = withL402(paywall, async () => {
  await new Promise((r) => setTimeout(r, 300));
  return Response.json({ ok: true });
});
