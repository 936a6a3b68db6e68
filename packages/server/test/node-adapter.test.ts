import { serve } from '../src/adapters/node.js';
import { Paywall } from '../src/index.js';
import { conformance } from './conformance.js';

conformance('node:http adapter', async (opts, handler) => serve(new Paywall(opts), handler));
