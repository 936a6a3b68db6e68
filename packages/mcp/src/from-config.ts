/**
 * A toolkit from the MCP server's configuration: the wallet from its connection string
 * (opened on first use), the budget, tokens and receipts in `$FAREBOX_HOME/mcp.json`.
 *
 * @module
 */
import { join } from 'node:path';
import type { BudgetLimits } from '@farebox/client';
import { FileClientStore } from '@farebox/client/node';
import { openBackend } from '@farebox/lightning/node';
import type { McpConfig } from './config.js';
import { FareboxToolkit, type FareboxToolkitOptions } from './toolkit.js';

/** The budget limits a configuration sets. */
export function budgetOf(cfg: McpConfig): BudgetLimits {
  const b: BudgetLimits = {};
  if (cfg.maxSatsPerCall !== undefined) b.perRequestSats = cfg.maxSatsPerCall;
  if (cfg.maxSatsPerHour !== undefined) b.perHourSats = cfg.maxSatsPerHour;
  if (cfg.maxSatsPerDay !== undefined) b.perDaySats = cfg.maxSatsPerDay;
  if (cfg.maxSatsTotal !== undefined) b.totalSats = cfg.maxSatsTotal;
  if (cfg.maxSatsPerHost !== undefined) b.perHostSats = cfg.maxSatsPerHost;
  if (cfg.allowHosts) b.allowHosts = cfg.allowHosts;
  if (cfg.denyHosts) b.denyHosts = cfg.denyHosts;
  return b;
}

/**
 * @example
 * ```ts
 * import { loadConfig, toolkitFromConfig } from '@farebox/mcp';
 * const toolkit = toolkitFromConfig(await loadConfig({ env: process.env }));
 * ```
 */
export function toolkitFromConfig(
  cfg: McpConfig,
  extra: Partial<FareboxToolkitOptions> = {},
): FareboxToolkit {
  const o: FareboxToolkitOptions = {
    budget: budgetOf(cfg),
    allowAgentLowerBudget: cfg.allowAgentLowerBudget,
    allowPrivateNetworks: cfg.allowPrivateNetworks,
    ...(cfg.allowAddresses ? { allowAddresses: cfg.allowAddresses } : {}),
    maxResponseBytes: cfg.maxResponseBytes,
    timeoutMs: cfg.timeoutSeconds * 1000,
    store: new FileClientStore(join(cfg.home, 'mcp.json')),
    downloadDir: join(cfg.home, 'downloads'),
    ...extra,
  };
  if (cfg.approveAboveSats !== undefined) o.approveAboveSats = cfg.approveAboveSats;
  const wallet = cfg.wallet;
  if (wallet) {
    o.walletConnection = wallet;
    o.openWallet = () => openBackend(wallet);
  }
  if (cfg.http.token) o.secrets = [...(o.secrets ?? []), cfg.http.token];
  return new FareboxToolkit(o);
}
