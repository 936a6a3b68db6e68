import { withL402 } from '@farebox/server/next';
import { paywall } from '../../../lib/paywall.js';

export const GET = withL402(paywall, () =>
  Response.json({ joke: 'Why did the node go offline? Channel issues.' }),
);
