export * from './app/index.js';
export * from './generators/index.js';
