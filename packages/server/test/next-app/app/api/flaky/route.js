import { withL402 } from '@farebox/server/next';
import { paywall } from '../../../lib/paywall.js';

export const dynamic = 'force-dynamic';

// Fails when the test asks with `x-fail` (a header: not part of the token's request binding):
// a status (`502`) is answered as is, `throw` throws (Next answers 500).
export const GET = withL402(paywall, async (req, { receipt }) => {
  const fail = req.headers.get('x-fail');
  if (fail === 'throw') throw new Error('handler broke');
  if (fail) return new Response('upstream broke', { status: Number(fail) });
  return Response.json({ ok: true, paid_msat: receipt?.amountMsat.toString() ?? null });
});
