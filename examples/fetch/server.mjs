// Runs examples/fetch/worker.mjs on Node: `node examples/fetch/server.mjs` (after `npm run build`).

import { DEV_NODE_NOTICE } from '@farebox/lightning';
import { serve } from '@hono/node-server';
import worker from './worker.mjs';

const port = Number(process.env.PORT ?? 8402);
serve({ fetch: worker.fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`http://127.0.0.1:${port}/joke (${DEV_NODE_NOTICE})`),
);
