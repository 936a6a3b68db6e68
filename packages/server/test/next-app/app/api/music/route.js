import { withL402 } from '@farebox/server/next';
import { paywall } from '../../../lib/paywall.js';

export const dynamic = 'force-dynamic';

export const POST = withL402(paywall, async (req, { receipt }) => {
  const { prompt } = await req.json();
  return Response.json({ song: `la la ${prompt}`, paid_msat: receipt?.amountMsat.toString() ?? null });
});
