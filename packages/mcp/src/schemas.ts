/**
 * The tools' names, descriptions and input/output schemas (zod), shared by the MCP server
 * and the Vercel AI SDK and LangChain.js tools, so every framework sees the same contract.
 *
 * @module
 */
import * as z from 'zod';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const url = z.string().min(1).max(8192).describe('The URL to call (http or https)');
const method = z.enum(METHODS).optional().describe('HTTP method (default GET, or POST when a body is given)');
const headers = z
  .record(z.string(), z.string())
  .optional()
  .describe('Request headers, e.g. {"content-type": "application/json"}');
const body = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .optional()
  .describe('Request body: a string, or a JSON object/array (sent as application/json)');

/** `l402_fetch` input. */
export const fetchInput = {
  url,
  method,
  headers,
  body,
  max_sats: z
    .number()
    .min(0)
    .optional()
    .describe('Most to pay for this call, sats (cannot exceed the configured per-call limit)'),
};

/** `l402_quote` input. */
export const quoteInput = { url, method, headers, body };

/** `l402_discover` input. */
export const discoverInput = {
  url_or_domain: z
    .string()
    .min(1)
    .max(2048)
    .describe('A URL (https://api.example.com) or a domain name (api.example.com, also checked in DNS)'),
};

/** `l402_budget` input. */
export const budgetInput = {
  lower_to: z
    .object({
      per_call_sats: z.number().min(0).optional(),
      per_hour_sats: z.number().min(0).optional(),
      per_day_sats: z.number().min(0).optional(),
      total_sats: z.number().min(0).optional(),
      per_host_sats: z.number().min(0).optional(),
      approve_above_sats: z.number().min(0).optional(),
    })
    .optional()
    .describe(
      'Lower these limits for the rest of this session (only if the operator allows it; never raises)',
    ),
};

const error = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const payment = z.object({
  sats: z.number(),
  fee_sats: z.number(),
  payment_hash: z.string(),
  host: z.string(),
  method: z.string(),
  path: z.string(),
});

const approval = z.object({
  amount_sats: z.number(),
  host: z.string(),
  method: z.string(),
  url: z.string(),
  network: z.string(),
  description: z.string().optional(),
  payment_hash: z.string(),
});

/** `l402_fetch` output. */
export const fetchOutput = {
  outcome: z.enum(['ok', 'approval_required', 'declined', 'refused', 'error']),
  message: z.string(),
  url: z.string(),
  method: z.string(),
  status: z.number().optional(),
  headers: z
    .object({
      content_type: z.string().optional(),
      content_length: z.string().optional(),
      location: z.string().optional(),
      payment_challenge: z.boolean(),
    })
    .optional(),
  body: z
    .object({
      kind: z.enum(['json', 'text', 'binary', 'empty']),
      json: z.unknown().optional(),
      text: z.string().optional(),
      saved_to: z.string().optional(),
      bytes: z.number(),
      content_type: z.string().optional(),
      truncated: z.boolean().optional(),
      note: z.string().optional(),
    })
    .optional(),
  paid: z.array(payment),
  reused_token: z.boolean(),
  dev_wallet: z.string().optional(),
  approval: approval.optional(),
  error: error.optional(),
};

/** `l402_quote` output. */
export const quoteOutput = {
  outcome: z.enum(['ok', 'refused', 'error']),
  message: z.string(),
  url: z.string(),
  method: z.string(),
  payment_required: z.boolean(),
  status: z.number().optional(),
  price_sats: z.number().optional(),
  invoice: z
    .object({
      amount_sats: z.number(),
      network: z.string(),
      description: z.string().optional(),
      payment_hash: z.string(),
    })
    .optional(),
  within_budget: z.boolean().optional(),
  budget_problem: z.string().optional(),
  needs_approval: z.boolean().optional(),
  wallet: z.string().optional(),
  error: error.optional(),
};

const service = z.object({
  name: z.string(),
  method: z.string(),
  path: z.string(),
  url: z.string(),
  description: z.string().optional(),
  price_sats: z.number().nullable(),
  pricing: z.string(),
  policy: z
    .object({ type: z.string(), valid_seconds: z.number().optional(), uses: z.number().optional() })
    .optional(),
  free_per_day: z.number().optional(),
  request_schema: z.record(z.string(), z.unknown()).optional(),
});

/** `l402_discover` output. */
export const discoverOutput = {
  outcome: z.enum(['ok', 'refused', 'error']),
  message: z.string(),
  base_url: z.string().optional(),
  source: z.enum(['well-known', 'openapi', 'llms.txt', 'none']).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  network: z.string().optional(),
  notice: z.string().optional(),
  services: z.array(service),
  llms_txt: z.string().optional(),
  dns: z
    .object({
      name: z.string(),
      records: z.array(z.string()),
      services_url: z.string().optional(),
      error: z.string().optional(),
    })
    .optional(),
  warnings: z.array(z.string()),
  error: error.optional(),
};

const limits = z.object({
  per_call_sats: z.number().optional(),
  per_hour_sats: z.number().optional(),
  per_day_sats: z.number().optional(),
  total_sats: z.number().optional(),
  per_host_sats: z.number().optional(),
  approve_above_sats: z.number().optional(),
  allow_hosts: z.array(z.string()).optional(),
  deny_hosts: z.array(z.string()).optional(),
});

/** `l402_budget` output. */
export const budgetOutput = {
  outcome: z.enum(['ok', 'refused']),
  message: z.string(),
  limits,
  remaining: z.object({
    per_call_sats: z.number().optional(),
    hour_sats: z.number().optional(),
    day_sats: z.number().optional(),
    total_sats: z.number().optional(),
    per_host: z.array(z.object({ host: z.string(), sats: z.number() })).optional(),
  }),
  spent: z.object({ hour_sats: z.number(), day_sats: z.number(), total_sats: z.number() }),
  agent_may_lower: z.boolean(),
  changed: z.array(z.string()).optional(),
  rejected: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
};

/** `l402_receipts` output. */
export const receiptsOutput = {
  count: z.number(),
  total_sats: z.number(),
  fees_sats: z.number(),
  payments: z.array(payment.extend({ time: z.string(), status: z.enum(['paid', 'rejected', 'unknown']) })),
};

/** `wallet_balance` output. */
export const balanceOutput = {
  outcome: z.enum(['ok', 'unsupported', 'error']),
  message: z.string(),
  supported: z.boolean(),
  backend: z.string(),
  balance_sats: z.number().optional(),
  error: error.optional(),
};

type Out<T extends z.ZodRawShape> = z.infer<z.ZodObject<T>>;
export type FetchInput = z.infer<z.ZodObject<typeof fetchInput>>;
export type QuoteInput = z.infer<z.ZodObject<typeof quoteInput>>;
export type DiscoverInput = z.infer<z.ZodObject<typeof discoverInput>>;
export type BudgetInput = z.infer<z.ZodObject<typeof budgetInput>>;
export type FetchOutput = Out<typeof fetchOutput>;
export type QuoteOutput = Out<typeof quoteOutput>;
export type DiscoverOutput = Out<typeof discoverOutput>;
export type BudgetOutput = Out<typeof budgetOutput>;
export type ReceiptsOutput = Out<typeof receiptsOutput>;
export type BalanceOutput = Out<typeof balanceOutput>;

/** Tool names and descriptions. */
export const TOOLS = {
  l402_fetch: {
    title: 'Call a paid (L402) API',
    description:
      'Calls a URL like fetch. If the server answers 402 Payment Required with an L402 Lightning invoice, pays it ' +
      'within the configured budget (and max_sats) and repeats the request with the proof of payment; a token ' +
      'bought earlier is reused when the service allows it. Returns the status, the body (JSON or text; binary ' +
      'bodies are saved to a file whose path is given) and what was paid. Payments above the approval threshold ' +
      'ask the user first. Use l402_quote to learn the price without paying.',
  },
  l402_quote: {
    title: 'Price of a call, without paying',
    description:
      'Sends the request once without paying and reads the 402 challenge: the price, the invoice amount, network ' +
      'and description, whether it fits the budget and whether it would need approval. Pays nothing. A free ' +
      'endpoint simply answers (the request is made).',
  },
  l402_discover: {
    title: 'What an L402 host sells',
    description:
      'Lists the paid services of a host: methods, URLs, prices in sats, token policies (per-request, pass, credits) ' +
      'and request body schemas, from /.well-known/l402-services, else the OpenAPI document (x-l402), else llms.txt; ' +
      'for a domain name also the DNS TXT record l402._payment.<domain>. Pays nothing.',
  },
  l402_budget: {
    title: 'Spending budget',
    description:
      'What is left of the spending budget: per call, per hour, per day, in total and per host, and what was spent. ' +
      'With lower_to, lowers limits for this session when the operator allowed it; limits can never be raised here.',
  },
  l402_receipts: {
    title: 'Payments made',
    description: 'The payments made (time, host, path, sats, fee, payment hash) and their totals.',
  },
  wallet_balance: {
    title: 'Wallet balance',
    description: "The configured wallet's spendable balance in sats (some wallets cannot tell).",
  },
} as const;
