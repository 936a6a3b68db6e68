/** The reference: the server's MemoryStore passes the same suite as the shared stores. */
import { MemoryStore } from '@farebox/server';
import { storeConformance } from './store-conformance.js';

storeConformance('MemoryStore', ({ now }) => new MemoryStore({ now }));
