/**
 * A local HTTP server reproducing Blink's GraphQL API (blinkbitcoin/blink at 977c6647, 2026-08;
 * guide https://dev.blink.sv):
 *
 * - schema: the types, inputs and fields used below are copied from
 *   `core/api/src/graphql/public/schema.graphql`; queries are parsed, checked against them
 *   (unknown field, missing sub-selection, wrong input type or input field → HTTP 400
 *   `GRAPHQL_VALIDATION_FAILED` / `BAD_USER_INPUT`, as Apollo answers) and answered with
 *   exactly the selected fields;
 * - resolvers: `core/api/src/graphql/public/root/{mutation/ln-invoice-create.ts,
 *   mutation/ln-invoice-payment-send.ts, query/ln-invoice-payment-status-by-hash.ts}`
 *   (payload `errors: [{message, code}]`, `status` FAILURE on error, ALREADY_PAID), and the
 *   field arguments of `Account.walletById(walletId: WalletId!)` (`public/types/object/
 *   consumer-account.ts`: a wallet not of the account → UNEXPECTED_CLIENT_ERROR "... (code:
 *   CouldNotFindWalletFromIdError)", bubbling up to `me: null`) and
 *   `Wallet.transactionsByPaymentHash(paymentHash: PaymentHash!)` (`shared/types/object/
 *   btc-wallet.ts`: the wallet's ledger entries of the hash, `[]` for none; a bad hash →
 *   INVALID_INPUT "Invalid value for PaymentHash");
 * - ledger (`domain/wallets/tx-history.ts`): a payment is a SEND transaction, PENDING while
 *   in flight (a destination made with `holds: true`; `lnInvoicePaymentSend` then answers
 *   PENDING), SUCCESS with `SettlementViaLn.preImage`, or FAILURE together with a RECEIVE
 *   reimbursement of the same hash; a paid invoice of the wallet is a RECEIVE SUCCESS;
 * - errors: `core/api/src/graphql/{error.ts,error-map.ts}`: INSUFFICIENT_BALANCE ("Payment
 *   amount 'N' sats exceeds balance 'M'", `domain/payments/payment-flow.ts`),
 *   ROUTE_FINDING_ERROR ("Unable to find a route for payment."), LIGHTNING_PAYMENT_ERROR
 *   ("Invoice already expired, or has bad payment hash"), NOT_AUTHORIZED ("Not authorized"),
 *   an unknown hash in the status query → UNEXPECTED_CLIENT_ERROR "... (code:
 *   InvoiceNotFoundError)";
 * - auth: `X-API-KEY`, checked by Ory Oathkeeper before GraphQL (`dev/config/ory/
 *   oathkeeper_rules.yaml`): an unknown key → HTTP 401 `{"error":{"code":401,"status":
 *   "Unauthorized","message":"Access credentials are invalid"}}`; a key without the needed
 *   scope → GraphQL error NOT_AUTHORIZED.
 *
 * Invoices are real BOLT11 strings signed with a random node key.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeInvoice, encodeInvoice, isHex, randomBytes, sha256, toHex } from '@farebox/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  MockBackend,
  otherNodeInvoice,
  type RecordedRequest,
  type RemoteInvoiceOptions,
} from './mock-common.js';

export type Scope = 'READ' | 'RECEIVE' | 'WRITE';

/** Output types: field → type. Types not listed here are scalars or enums. */
const TYPES: Record<string, Record<string, string>> = {
  Query: { globals: 'Globals', lnInvoicePaymentStatusByHash: 'LnInvoicePaymentStatus', me: 'User' },
  Mutation: {
    lnInvoiceCreate: 'LnInvoicePayload',
    lnInvoiceCreateOnBehalfOfRecipient: 'LnInvoicePayload',
    lnInvoiceFeeProbe: 'SatAmountPayload',
    lnNoAmountInvoiceFeeProbe: 'SatAmountPayload',
    lnInvoicePaymentSend: 'PaymentSendPayload',
    lnNoAmountInvoicePaymentSend: 'PaymentSendPayload',
  },
  Globals: {
    accountLimitsByLevel: 'AccountLevelLimits',
    blockInfo: 'BlockInfo',
    buildInformation: 'BuildInformation',
    feesInformation: 'FeesInformation',
    lightningAddressDomain: 'String',
    lightningAddressDomainAliases: 'String',
    network: 'Network',
    nodesIds: 'String',
    supportedCountries: 'Country',
  },
  LnInvoicePayload: { errors: 'Error', invoice: 'LnInvoice' },
  LnInvoice: {
    createdAt: 'Timestamp',
    externalId: 'TxExternalId',
    paymentHash: 'PaymentHash',
    paymentRequest: 'LnPaymentRequest',
    paymentSecret: 'LnPaymentSecret',
    paymentStatus: 'InvoicePaymentStatus',
    satoshis: 'SatAmount',
  },
  Error: { code: 'String', message: 'String', path: 'String' },
  LnInvoicePaymentStatus: {
    paymentHash: 'PaymentHash',
    paymentPreimage: 'LnPaymentPreImage',
    paymentRequest: 'LnPaymentRequest',
    status: 'InvoicePaymentStatus',
  },
  SatAmountPayload: { amount: 'SatAmount', errors: 'Error' },
  PaymentSendPayload: { errors: 'Error', status: 'PaymentSendResult', transaction: 'Transaction' },
  Transaction: {
    createdAt: 'Timestamp',
    direction: 'TxDirection',
    externalId: 'TxExternalId',
    id: 'ID',
    initiationVia: 'InitiationVia',
    memo: 'Memo',
    settlementAmount: 'SignedAmount',
    settlementCurrency: 'WalletCurrency',
    settlementDisplayAmount: 'SignedDisplayMajorAmount',
    settlementDisplayCurrency: 'DisplayCurrency',
    settlementDisplayFee: 'SignedDisplayMajorAmount',
    settlementFee: 'SignedAmount',
    settlementPrice: 'PriceOfOneSettlementMinorUnitInDisplayMinorUnit',
    settlementVia: 'SettlementVia',
    status: 'TxStatus',
  },
  SettlementVia: {},
  SettlementViaIntraLedger: {
    counterPartyUsername: 'Username',
    counterPartyWalletId: 'WalletId',
    preImage: 'LnPaymentPreImage',
  },
  SettlementViaLn: { paymentSecret: 'LnPaymentSecret', preImage: 'LnPaymentPreImage' },
  SettlementViaOnChain: {
    arrivalInMempoolEstimatedAt: 'Timestamp',
    transactionHash: 'OnChainTxHash',
    vout: 'Int',
  },
  User: {
    createdAt: 'Timestamp',
    defaultAccount: 'Account',
    email: 'Email',
    id: 'ID',
    language: 'Language',
    phone: 'Phone',
    username: 'Username',
  },
  Account: {
    defaultWalletId: 'WalletId',
    displayCurrency: 'DisplayCurrency',
    id: 'ID',
    level: 'AccountLevel',
    walletById: 'Wallet',
    wallets: 'Wallet',
  },
  Wallet: {
    accountId: 'ID',
    balance: 'SignedAmount',
    id: 'ID',
    pendingIncomingBalance: 'SignedAmount',
    transactionsByPaymentHash: 'Transaction',
    walletCurrency: 'WalletCurrency',
  },
};
/** Arguments of non-root fields (`Type.field` → argument → type), from the schema. */
const FIELD_ARGS: Record<string, Record<string, string>> = {
  'Account.walletById': { walletId: 'WalletId!' },
  'Wallet.transactionsByPaymentHash': { paymentHash: 'PaymentHash!' },
};
/** Unions and interfaces, with their members. */
const ABSTRACT: Record<string, string[]> = {
  SettlementVia: ['SettlementViaIntraLedger', 'SettlementViaLn', 'SettlementViaOnChain'],
  Account: ['ConsumerAccount'],
  Wallet: ['BTCWallet', 'UsdWallet'],
};
const UNIONS = new Set(['SettlementVia']);
/** Input types: field → required. */
const INPUTS: Record<string, Record<string, boolean>> = {
  LnInvoiceCreateInput: { amount: true, expiresIn: false, externalId: false, memo: false, walletId: true },
  LnInvoiceCreateOnBehalfOfRecipientInput: {
    amount: true,
    descriptionHash: false,
    expiresIn: false,
    externalId: false,
    memo: false,
    recipientWalletId: true,
    webhookUrl: false,
  },
  LnInvoicePaymentStatusByHashInput: { paymentHash: true },
  LnInvoicePaymentInput: { memo: false, paymentRequest: true, walletId: true },
  LnNoAmountInvoicePaymentInput: { amount: true, memo: false, paymentRequest: true, walletId: true },
  LnInvoiceFeeProbeInput: { paymentRequest: true, walletId: true },
  LnNoAmountInvoiceFeeProbeInput: { amount: true, paymentRequest: true, walletId: true },
};
/** Root field → its `input` argument's type and the scope it needs. */
const ROOTS: Record<string, { input?: string; scope: Scope }> = {
  globals: { scope: 'READ' },
  me: { scope: 'READ' },
  lnInvoicePaymentStatusByHash: { input: 'LnInvoicePaymentStatusByHashInput', scope: 'READ' },
  lnInvoiceCreate: { input: 'LnInvoiceCreateInput', scope: 'RECEIVE' },
  lnInvoiceCreateOnBehalfOfRecipient: { input: 'LnInvoiceCreateOnBehalfOfRecipientInput', scope: 'RECEIVE' },
  lnInvoiceFeeProbe: { input: 'LnInvoiceFeeProbeInput', scope: 'READ' },
  lnNoAmountInvoiceFeeProbe: { input: 'LnNoAmountInvoiceFeeProbeInput', scope: 'READ' },
  lnInvoicePaymentSend: { input: 'LnInvoicePaymentInput', scope: 'WRITE' },
  lnNoAmountInvoicePaymentSend: { input: 'LnNoAmountInvoicePaymentInput', scope: 'WRITE' },
};

/** A parsed selection set: fields (with sub-selections) and inline fragments. */
interface Selection {
  fields: Array<{ name: string; args: string; sel?: Selection }>;
  inline: Array<{ type: string; sel: Selection }>;
}

class GraphQLInvalid extends Error {
  constructor(
    message: string,
    readonly code = 'GRAPHQL_VALIDATION_FAILED',
  ) {
    super(message);
  }
}

function tokenize(q: string): string[] {
  return q.match(/\.\.\.|[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z_][A-Za-z0-9_]*|[{}()!:[\]]|"[^"]*"/g) ?? [];
}

/** Parses `query|mutation Name($input: Type!) { root(input: $input) { ... } }`. */
function parseOperation(q: string) {
  const t = tokenize(q);
  let i = 0;
  const kind = t[i] === 'query' || t[i] === 'mutation' ? t[i++] : 'query';
  if (t[i] !== '(' && t[i] !== '{') i++; // operation name
  const vars: Record<string, string> = {};
  if (t[i] === '(') {
    i++;
    while (t[i] !== ')') {
      const name = t[i++] ?? '';
      if (t[i++] !== ':') throw new GraphQLInvalid('Syntax Error: expected ":"');
      vars[name.slice(1)] = `${t[i++]}${t[i] === '!' ? t[i++] : ''}`;
      if (i >= t.length) throw new GraphQLInvalid('Syntax Error: unterminated variables');
    }
    i++;
  }
  const parseSel = (): Selection => {
    if (t[i++] !== '{') throw new GraphQLInvalid('Syntax Error: expected "{"');
    const sel: Selection = { fields: [], inline: [] };
    while (t[i] !== '}') {
      if (i >= t.length) throw new GraphQLInvalid('Syntax Error: unterminated selection');
      if (t[i] === '...') {
        if (t[i + 1] !== 'on') throw new GraphQLInvalid('fragment spreads are not supported by this mock');
        const type = t[i + 2] ?? '';
        i += 3;
        sel.inline.push({ type, sel: parseSel() });
        continue;
      }
      const name = t[i++] ?? '';
      let args = '';
      if (t[i] === '(') {
        const start = i;
        while (t[i] !== ')') i++;
        args = t.slice(start + 1, i).join(' ');
        i++;
      }
      sel.fields.push(t[i] === '{' ? { name, args, sel: parseSel() } : { name, args });
    }
    i++;
    return sel;
  };
  const sel = parseSel();
  return { kind, vars, sel };
}

/** A field's arguments (`name : $var` or `name : "literal"`), by name. */
function parseArgs(args: string): Record<string, { variable?: string; literal?: string }> {
  const out: Record<string, { variable?: string; literal?: string }> = {};
  for (const m of args.matchAll(/([A-Za-z_]\w*)\s*:\s*(?:\$([A-Za-z_]\w*)|"([^"]*)")/g)) {
    const name = m[1] ?? '';
    out[name] = m[2] !== undefined ? { variable: m[2] } : { literal: m[3] ?? '' };
  }
  return out;
}

/** Checks the arguments of a non-root field against {@link FIELD_ARGS} and the operation's variables. */
function validateArgs(type: string, f: { name: string; args: string }, vars: Record<string, string>): void {
  const spec = FIELD_ARGS[`${type}.${f.name}`];
  const given = parseArgs(f.args);
  if (!spec) {
    const first = Object.keys(given)[0];
    if (first !== undefined)
      throw new GraphQLInvalid(`Unknown argument "${first}" on field "${type}.${f.name}".`);
    return;
  }
  for (const [name, arg] of Object.entries(given)) {
    const expected = spec[name];
    if (!expected) throw new GraphQLInvalid(`Unknown argument "${name}" on field "${type}.${f.name}".`);
    if (arg.variable !== undefined) {
      const declared = vars[arg.variable];
      if (!declared) throw new GraphQLInvalid(`Variable "$${arg.variable}" is not defined.`);
      if (declared !== expected)
        throw new GraphQLInvalid(
          `Variable "$${arg.variable}" of type "${declared}" used in position expecting type "${expected}".`,
        );
    }
  }
  for (const [name, argType] of Object.entries(spec)) {
    if (argType.endsWith('!') && !given[name])
      throw new GraphQLInvalid(
        `Field "${f.name}" argument "${name}" of type "${argType}" is required, but it was not provided.`,
      );
  }
}

/** Checks a selection against the schema types above (GraphQL validation rules). */
function validate(type: string, sel: Selection, vars: Record<string, string> = {}): void {
  for (const f of sel.fields) {
    if (f.name === '__typename') continue;
    const fields = TYPES[type];
    const fieldType = fields?.[f.name];
    if (!fieldType || UNIONS.has(type))
      throw new GraphQLInvalid(`Cannot query field "${f.name}" on type "${type}".`);
    // Root fields take `input`, checked against ROOTS by the handler.
    if (type !== 'Query' && type !== 'Mutation') validateArgs(type, f, vars);
    const composite = TYPES[fieldType] !== undefined;
    if (composite && !f.sel)
      throw new GraphQLInvalid(
        `Field "${f.name}" of type "${fieldType}" must have a selection of subfields.`,
      );
    if (!composite && f.sel)
      throw new GraphQLInvalid(
        `Field "${f.name}" must not have a selection since type "${fieldType}" has no subfields.`,
      );
    if (f.sel) validate(fieldType, f.sel, vars);
  }
  for (const frag of sel.inline) {
    if (!(ABSTRACT[type] ?? [type]).includes(frag.type)) {
      throw new GraphQLInvalid(
        `Fragment cannot be spread here as objects of type "${type}" can never be of type "${frag.type}".`,
      );
    }
    validate(frag.type, frag.sel, vars);
  }
}

/** A resolver's error below the root field: the root field becomes null (NonNull up to it). */
class NestedFieldError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly path: string[] = [],
  ) {
    super(message);
  }
}

/** A field resolved from its arguments (values of the operation's variables). */
type FieldResolver = (args: Record<string, unknown>) => unknown;

/**
 * Keeps exactly the selected fields of a resolved value (objects carry `__typename`); a field
 * whose value is a function is resolved with its arguments.
 */
function project(
  value: unknown,
  sel: Selection,
  variables: Record<string, unknown> = {},
  path: string[] = [],
): unknown {
  if (Array.isArray(value)) return value.map((v) => project(v, sel, variables, path));
  if (value === null || typeof value !== 'object') return value ?? null;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const take = (s: Selection) => {
    for (const f of s.fields) {
      let v = obj[f.name];
      if (typeof v === 'function') {
        const args: Record<string, unknown> = {};
        for (const [name, a] of Object.entries(parseArgs(f.args)))
          args[name] = a.variable !== undefined ? variables[a.variable] : a.literal;
        try {
          v = (v as FieldResolver)(args);
        } catch (e) {
          if (e instanceof NestedFieldError) throw new NestedFieldError(e.message, e.code, [...path, f.name]);
          throw e;
        }
      }
      out[f.name] = f.sel ? project(v, f.sel, variables, [...path, f.name]) : (v ?? null);
    }
  };
  take(sel);
  for (const frag of sel.inline) if (frag.type === obj.__typename) take(frag.sel);
  return out;
}

interface Inv {
  paymentRequest: string;
  paymentHash: string;
  paymentSecret: string;
  preimage: string;
  satoshis: number;
  expiresAt: number;
  paid: boolean;
  expired: boolean;
  createdAt: number;
}

/** The mock Blink account. Start with {@link MockBlink.start}; `close()` when done. */
export class MockBlink extends MockBackend {
  readonly btcWalletId = randomUUID();
  readonly usdWalletId = randomUUID();
  readonly accountId = randomUUID();
  /** BTC wallet balance, sat. */
  balanceSat = 200_000;
  protected readonly failureAnswers = {
    html: { contentType: 'text/html', body: '<!DOCTYPE html><html><body>Maintenance</body></html>' },
    http500: { contentType: 'text/html', body: '<html><body>500 Internal Server Error</body></html>' },
  };
  readonly #keys: Record<string, Scope[]>;
  readonly #invoices = new Map<string, Inv>();
  readonly #network = new Map<string, { preimage: string; feeSat: number; holds: boolean }>();
  readonly #sent = new Map<string, Record<string, unknown>>();
  /** The BTC wallet's ledger transactions, by payment hash (transactionsByPaymentHash). */
  readonly #ledger = new Map<string, Record<string, unknown>[]>();
  /** Payments in flight: payment hash → how they end. */
  readonly #held = new Map<string, { settle(): void; fail(): void }>();

  private constructor(keys: Record<string, Scope[]>) {
    super();
    this.#keys = keys;
  }

  /** `keys`: API key → its scopes. */
  static async start(keys: Record<string, Scope[]>): Promise<MockBlink> {
    const m = new MockBlink(keys);
    await m.listen('/graphql');
    return m;
  }

  /** {@link MockBackend.nextRequest} matches the root field of the operation (`lnInvoiceCreate`). */
  protected override requestKey(rec: RecordedRequest): string {
    try {
      return /\{\s*([A-Za-z_]\w*)/.exec(JSON.parse(rec.body).query)?.[1] ?? '';
    } catch {
      return ''; // not a GraphQL request
    }
  }

  markPaid(paymentHash: string): void {
    const inv = this.#inv(paymentHash);
    inv.paid = true;
    this.#record(paymentHash, {
      __typename: 'Transaction',
      id: randomUUID(),
      createdAt: Math.floor(Date.now() / 1000),
      direction: 'RECEIVE',
      status: 'SUCCESS',
      settlementAmount: inv.satoshis,
      settlementFee: 0,
      settlementCurrency: 'BTC',
      settlementVia: { __typename: 'SettlementViaLn', preImage: inv.preimage, paymentSecret: null },
    });
  }

  /** The destination of a payment in flight releases the preimage: the SEND transaction succeeds. */
  settlePayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-blink: no payment in flight for ${paymentHash}`);
    h.settle();
  }

  /** The destination of a payment in flight fails it: FAILURE, and the amount is reimbursed. */
  failPayment(paymentHash: string): void {
    const h = this.#held.get(paymentHash);
    if (!h) throw new Error(`mock-blink: no payment in flight for ${paymentHash}`);
    h.fail();
  }

  #record(paymentHash: string, tx: Record<string, unknown>): void {
    const list = this.#ledger.get(paymentHash) ?? [];
    list.push(tx);
    this.#ledger.set(paymentHash, list);
  }

  /** `Wallet.transactionsByPaymentHash`: the wallet's entries, newest first. */
  #transactionsOf(walletId: string): FieldResolver {
    return (args) => {
      const hash = args.paymentHash;
      if (typeof hash !== 'string' || !isHex(hash, 32))
        throw new NestedFieldError(
          typeof hash === 'string' ? 'Invalid value for PaymentHash' : 'Invalid type for PaymentHash',
          'INVALID_INPUT',
        );
      if (walletId !== this.btcWalletId) return [];
      return [...(this.#ledger.get(hash) ?? [])].reverse();
    };
  }

  expire(paymentHash: string): void {
    this.#inv(paymentHash).expired = true;
  }

  /** An invoice of another node, routable for `feeSat` when `reachable`; `holds` keeps payments in flight. */
  remoteInvoice(o: RemoteInvoiceOptions & { feeSat?: number; holds?: boolean }) {
    const { invoice: paymentRequest, paymentHash, preimage } = otherNodeInvoice(o);
    if (o.reachable ?? true)
      this.#network.set(paymentHash, { preimage, feeSat: o.feeSat ?? 0, holds: o.holds ?? false });
    return { paymentRequest, paymentHash, preimage };
  }

  #inv(paymentHash: string): Inv {
    const inv = this.#invoices.get(paymentHash);
    if (!inv) throw new Error(`mock-blink: no invoice ${paymentHash}`);
    return inv;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (rec.path !== '/graphql')
      return send(404, {
        error: { code: 404, status: 'Not Found', message: 'Requested url does not match any rules' },
      });

    // Oathkeeper: a key that fails the bearer_token check is refused before GraphQL.
    const key = req.headers['x-api-key'];
    const scopes = typeof key === 'string' ? this.#keys[key] : [];
    if (!scopes)
      return send(401, {
        error: { code: 401, status: 'Unauthorized', message: 'Access credentials are invalid' },
      });
    if (rec.method !== 'POST' || !/^application\/json/.test(req.headers['content-type'] ?? '')) {
      return send(400, {
        errors: [{ message: 'POST body must be JSON', extensions: { code: 'BAD_REQUEST' } }],
      });
    }
    try {
      const { query, variables } = JSON.parse(rec.body) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      const op = parseOperation(query);
      const type = op.kind === 'mutation' ? 'Mutation' : 'Query';
      validate(type, op.sel, op.vars);
      const field = op.sel.fields[0];
      if (!field || op.sel.fields.length !== 1)
        throw new GraphQLInvalid('this mock answers one root field per operation');
      const spec = ROOTS[field.name];
      if (!spec) throw new GraphQLInvalid(`Cannot query field "${field.name}" on type "${type}".`);
      let input: Record<string, unknown> = {};
      if (spec.input) {
        if (field.args !== 'input : $input')
          throw new GraphQLInvalid(
            `Field "${field.name}" argument "input" of type "${spec.input}!" is required.`,
          );
        if (op.vars.input !== `${spec.input}!`) {
          throw new GraphQLInvalid(
            `Variable "$input" of type "${op.vars.input}" used in position expecting type "${spec.input}!".`,
          );
        }
        input = checkInput(spec.input, variables?.input);
      }
      if (!scopes.includes(spec.scope) && !(spec.scope === 'RECEIVE' && scopes.includes('WRITE'))) {
        const error = {
          message: 'Not authorized',
          locations: [{ line: 2, column: 3 }],
          path: [field.name],
          extensions: { code: 'NOT_AUTHORIZED' },
        };
        return send(200, { errors: [error], data: null });
      }
      const value = this.#resolve(field.name, input);
      if (value instanceof GqlFieldError) {
        const error = {
          message: value.message,
          locations: [{ line: 2, column: 3 }],
          path: [field.name],
          extensions: { code: value.code },
        };
        return send(200, { errors: [error], data: null });
      }
      let data: unknown;
      try {
        data = field.sel ? project(value, field.sel, variables ?? {}, [field.name]) : value;
      } catch (e) {
        if (!(e instanceof NestedFieldError)) throw e;
        const error = {
          message: e.message,
          locations: [{ line: 2, column: 3 }],
          path: e.path,
          extensions: { code: e.code },
        };
        return send(200, { errors: [error], data: { [field.name]: null } });
      }
      return send(200, { data: { [field.name]: data } });
    } catch (e) {
      if (e instanceof GraphQLInvalid)
        return send(400, { errors: [{ message: e.message, extensions: { code: e.code } }] });
      throw e;
    }
  }

  #resolve(field: string, input: Record<string, unknown>): unknown {
    switch (field) {
      case 'globals':
        return {
          __typename: 'Globals',
          network: 'regtest',
          nodesIds: [this.nodeId, toHex(secp256k1.getPublicKey(randomBytes(32), true))],
          lightningAddressDomain: 'blink.sv',
          lightningAddressDomainAliases: [],
        };
      case 'me': {
        const wallets = [
          {
            __typename: 'UsdWallet',
            id: this.usdWalletId,
            walletCurrency: 'USD',
            balance: 1234,
            accountId: this.accountId,
            pendingIncomingBalance: 0,
            transactionsByPaymentHash: this.#transactionsOf(this.usdWalletId),
          },
          {
            __typename: 'BTCWallet',
            id: this.btcWalletId,
            walletCurrency: 'BTC',
            balance: this.balanceSat,
            accountId: this.accountId,
            pendingIncomingBalance: 0,
            transactionsByPaymentHash: this.#transactionsOf(this.btcWalletId),
          },
        ];
        const walletById: FieldResolver = (args) => {
          const w = wallets.find((x) => x.id === args.walletId);
          if (!w) {
            throw new NestedFieldError(
              'Unexpected error occurred, please try again or contact support if it persists (code: CouldNotFindWalletFromIdError)',
              'UNEXPECTED_CLIENT_ERROR',
            );
          }
          return w;
        };
        return {
          __typename: 'User',
          id: randomUUID(),
          defaultAccount: {
            __typename: 'ConsumerAccount',
            id: this.accountId,
            defaultWalletId: this.btcWalletId,
            wallets,
            walletById,
          },
        };
      }
      case 'lnInvoiceCreate':
      case 'lnInvoiceCreateOnBehalfOfRecipient':
        return this.#create(input, field === 'lnInvoiceCreate' ? input.walletId : input.recipientWalletId);
      case 'lnInvoicePaymentStatusByHash': {
        const inv = this.#invoices.get(String(input.paymentHash));
        if (!inv) {
          return new GqlFieldError(
            'Unexpected error occurred, please try again or contact support if it persists (code: InvoiceNotFoundError)',
            'UNEXPECTED_CLIENT_ERROR',
          );
        }
        const base = {
          __typename: 'LnInvoicePaymentStatus',
          paymentHash: inv.paymentHash,
          paymentRequest: inv.paymentRequest,
        };
        if (inv.paid) return { ...base, status: 'PAID', paymentPreimage: inv.preimage };
        const expired = inv.expired || Date.now() / 1000 > inv.expiresAt;
        return { ...base, status: expired ? 'EXPIRED' : 'PENDING' };
      }
      case 'lnInvoiceFeeProbe':
      case 'lnNoAmountInvoiceFeeProbe': {
        const dest = this.#network.get(decodeInvoice(String(input.paymentRequest)).paymentHash);
        if (!dest) return { __typename: 'SatAmountPayload', amount: null, errors: [routeError()] };
        return { __typename: 'SatAmountPayload', amount: dest.feeSat, errors: [] };
      }
      case 'lnInvoicePaymentSend':
      case 'lnNoAmountInvoicePaymentSend':
        return this.#send(input, field === 'lnNoAmountInvoicePaymentSend');
      default:
        throw new GraphQLInvalid(`Cannot query field "${field}".`);
    }
  }

  #create(input: Record<string, unknown>, walletId: unknown) {
    const payload = (errors: unknown[], invoice: unknown = null) => ({
      __typename: 'LnInvoicePayload',
      errors,
      invoice,
    });
    if (walletId !== this.btcWalletId)
      return payload([{ message: 'Invalid wallet for the current account', code: 'INVALID_INPUT' }]);
    const satoshis = input.amount;
    if (typeof satoshis !== 'number' || !Number.isSafeInteger(satoshis) || satoshis <= 0) {
      return payload([{ message: 'Invalid value for SatAmount', code: 'INVALID_INPUT' }]);
    }
    const minutes = input.expiresIn === undefined ? 24 * 60 : Number(input.expiresIn);
    const preimage = randomBytes(32);
    const paymentHash = toHex(sha256(preimage));
    const paymentSecret = randomBytes(32);
    const timestamp = Math.floor(Date.now() / 1000);
    const fields: Parameters<typeof encodeInvoice>[0] = {
      network: 'regtest',
      amountMsat: BigInt(satoshis) * 1000n,
      paymentHash,
      paymentSecret,
      timestamp,
      expirySeconds: minutes * 60,
    };
    if (typeof input.descriptionHash === 'string') fields.descriptionHash = input.descriptionHash;
    else fields.description = typeof input.memo === 'string' ? input.memo : '';
    const inv: Inv = {
      paymentRequest: encodeInvoice(fields, this.nodeKey),
      paymentHash,
      paymentSecret: toHex(paymentSecret),
      preimage: toHex(preimage),
      satoshis,
      expiresAt: timestamp + minutes * 60,
      paid: false,
      expired: false,
      createdAt: timestamp,
    };
    this.#invoices.set(paymentHash, inv);
    return payload([], {
      __typename: 'LnInvoice',
      createdAt: inv.createdAt,
      externalId: randomUUID(),
      paymentHash,
      paymentRequest: inv.paymentRequest,
      paymentSecret: inv.paymentSecret,
      paymentStatus: 'PENDING',
      satoshis,
    });
  }

  #send(input: Record<string, unknown>, noAmount: boolean) {
    const failed = (error: { message: string; code: string }) => ({
      __typename: 'PaymentSendPayload',
      status: 'FAILURE',
      errors: [error],
      transaction: null,
    });
    if (input.walletId !== this.btcWalletId)
      return failed({ message: 'Invalid wallet for the current account', code: 'INVALID_INPUT' });
    let inv: ReturnType<typeof decodeInvoice>;
    try {
      inv = decodeInvoice(String(input.paymentRequest));
    } catch {
      return failed({ message: "Invalid lightning request, couldn't decode.", code: 'INVOICE_DECODE_ERROR' });
    }
    if (noAmount === (inv.amountMsat !== undefined)) {
      return failed(
        noAmount
          ? { message: 'Invoice must be a zero-amount invoice', code: 'INVALID_INPUT' }
          : { message: 'Invoice does not have a valid amount to pay', code: 'INVALID_INPUT' },
      );
    }
    const earlier = this.#sent.get(inv.paymentHash);
    if (earlier)
      return { __typename: 'PaymentSendPayload', status: 'ALREADY_PAID', errors: [], transaction: earlier };
    const amount = noAmount ? Number(input.amount) : Number((inv.amountMsat ?? 0n) / 1000n);
    const dest = this.#network.get(inv.paymentHash);
    const fee = dest?.feeSat ?? 0;
    if (amount + fee > this.balanceSat) {
      return failed({
        message: `Payment amount '${amount + fee}' sats exceeds balance '${this.balanceSat}'`,
        code: 'INSUFFICIENT_BALANCE',
      });
    }
    if (!dest) return failed(routeError());
    if (Date.now() / 1000 > inv.expiresAt) {
      return failed({
        message: 'Invoice already expired, or has bad payment hash',
        code: 'LIGHTNING_PAYMENT_ERROR',
      });
    }
    if (this.#held.has(inv.paymentHash)) {
      return failed({
        message:
          'Unexpected error occurred, please try again or contact support if it persists (code: LnPaymentPendingError)',
        code: 'UNEXPECTED_CLIENT_ERROR',
      });
    }
    this.balanceSat -= amount + fee;
    const transaction: Record<string, unknown> = {
      __typename: 'Transaction',
      id: randomUUID(),
      createdAt: Math.floor(Date.now() / 1000),
      direction: 'SEND',
      status: 'PENDING',
      settlementAmount: -(amount + fee),
      settlementFee: fee,
      settlementCurrency: 'BTC',
      settlementVia: { __typename: 'SettlementViaLn', preImage: null, paymentSecret: null },
    };
    this.#record(inv.paymentHash, transaction);
    const settle = () => {
      transaction.status = 'SUCCESS';
      transaction.settlementVia = {
        __typename: 'SettlementViaLn',
        preImage: dest.preimage,
        paymentSecret: null,
      };
      this.#sent.set(inv.paymentHash, transaction);
    };
    if (dest.holds) {
      this.#held.set(inv.paymentHash, {
        settle: () => {
          this.#held.delete(inv.paymentHash);
          settle();
        },
        fail: () => {
          this.#held.delete(inv.paymentHash);
          transaction.status = 'FAILURE';
          this.balanceSat += amount + fee;
          this.#record(inv.paymentHash, {
            ...transaction,
            id: randomUUID(),
            direction: 'RECEIVE',
            status: 'FAILURE',
            settlementAmount: amount + fee,
            settlementFee: 0,
          });
        },
      });
      return { __typename: 'PaymentSendPayload', status: 'PENDING', errors: [], transaction };
    }
    settle();
    return { __typename: 'PaymentSendPayload', status: 'SUCCESS', errors: [], transaction };
  }
}

class GqlFieldError {
  constructor(
    readonly message: string,
    readonly code: string,
  ) {}
}

function routeError() {
  return { message: 'Unable to find a route for payment.', code: 'ROUTE_FINDING_ERROR' };
}

/** Variable coercion: only the input type's fields, required ones present, hashes as hex. */
function checkInput(type: string, value: unknown): Record<string, unknown> {
  const spec = INPUTS[type] ?? {};
  if (typeof value !== 'object' || value === null) {
    throw new GraphQLInvalid(
      `Variable "$input" of required type "${type}!" was not provided.`,
      'BAD_USER_INPUT',
    );
  }
  const input = value as Record<string, unknown>;
  for (const k of Object.keys(input)) {
    if (!(k in spec))
      throw new GraphQLInvalid(
        `Variable "$input" got invalid value; Field "${k}" is not defined by type "${type}".`,
        'BAD_USER_INPUT',
      );
  }
  for (const [k, required] of Object.entries(spec)) {
    if (required && input[k] === undefined) {
      throw new GraphQLInvalid(
        `Variable "$input" got invalid value; Field "${k}" of required type was not provided.`,
        'BAD_USER_INPUT',
      );
    }
  }
  for (const k of ['paymentHash', 'descriptionHash']) {
    if (input[k] !== undefined && (typeof input[k] !== 'string' || !isHex(input[k] as string, 32))) {
      throw new GraphQLInvalid(
        `Variable "$input" got invalid value at "input.${k}"; Invalid value for ${k === 'paymentHash' ? 'PaymentHash' : 'Hex32Bytes'}`,
        'BAD_USER_INPUT',
      );
    }
  }
  return input;
}
