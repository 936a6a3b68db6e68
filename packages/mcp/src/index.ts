/**
 * `@farebox/mcp`: agents that pay. An MCP server that lets any MCP client discover, quote and
 * call L402 APIs and pay for them within a budget; the discovery client; the SSRF guard; and
 * (from `@farebox/mcp/ai-sdk` and `@farebox/mcp/langchain`) the same tools for the Vercel AI
 * SDK and LangChain.js.
 *
 * @module
 */
export * from './body.js';
export * from './budget-report.js';
export * from './config.js';
export * from './discovery.js';
export * from './from-config.js';
export * from './http.js';
export * from './ip.js';
export * from './redact.js';
export * from './results.js';
export * from './schemas.js';
export * from './server.js';
export * from './ssrf.js';
export * from './stdio.js';
export * from './toolkit.js';
export * from './wallet.js';
