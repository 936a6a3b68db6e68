export * from './generators/index.js';
