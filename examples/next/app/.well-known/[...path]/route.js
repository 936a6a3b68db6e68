import { withL402 } from '@farebox/server/next';
import { paywall } from '../../../lib/paywall.js';

// farebox's own endpoints (discovery, the payment page's invoice status, the dev wallet):
// the paywall answers them; anything else under /.well-known is not found.
const wellKnown = withL402(paywall, () => new Response('not found', { status: 404 }));

export { wellKnown as GET, wellKnown as POST };
