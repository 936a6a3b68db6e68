/**
 * Node-only parts of `@farebox/client`: the file store.
 *
 * @module
 */
export * from './file-store.js';
