// Types for scripts/regtest-lib/index.mjs, so TypeScript tests can import it:
//   import { up, env, lnd } from '../../../scripts/regtest-lib/index.mjs';

// biome-ignore lint/suspicious/noExplicitAny: lnd/btcd/LNbits answers are untyped JSON
export type Json = any;

export declare const DEFAULT_PORT_BASE: number;
export declare const CHANNEL_CAPACITY_SAT: number;
export declare const CHANNEL_PUSH_SAT: number;

export declare class RegtestError extends Error {
  constructor(step: string, message: string, opts?: { logFile?: string; cause?: unknown });
  step: string;
  logFile?: string;
  logTail?: string;
}

/** Human-readable report: failed step, message, tail of the relevant log. */
export declare function describeError(err: unknown, opts?: { lines?: number }): string;
/** Replace the progress logger (default: lines on stderr); `null` silences it. */
export declare function setLogger(fn: ((msg: string) => void) | null): void;

export interface LndNodeState {
  pid: number;
  /** executable and arguments it was started with (restartNode uses them) */
  command: string[];
  alias: string;
  pubkey: string;
  /** 127.0.0.1:PORT */
  p2p: string;
  /** 127.0.0.1:PORT */
  grpc: string;
  /** https://127.0.0.1:PORT */
  rest: string;
  lnddir: string;
  cert: string;
  macaroon: string;
  invoiceMacaroon: string;
  readonlyMacaroon: string;
  log: string;
}

export interface RegtestState {
  version: 1;
  ready: boolean;
  dir: string;
  portBase: number;
  startedAt: string;
  upSeconds?: number;
  btcd: {
    pid: number;
    command: string[];
    rpc: string;
    p2p: string;
    rpcUser: string;
    rpcPass: string;
    rpcCert: string;
    miningAddress: string;
    datadir: string;
    log: string;
  };
  alice: LndNodeState;
  bob: LndNodeState;
  channel: { channelPoint: string; capacitySat: number; pushSat: number };
  lnbits?: {
    pid: number;
    url: string;
    port: number;
    username: string;
    password: string;
    userId: string;
    walletId: string;
    adminKey: string;
    invoiceKey: string;
    dataDir: string;
    executable: string;
    log: string;
  };
}

export interface NodeStatus {
  pid?: number;
  alive: boolean;
  pubkey?: string;
  rest?: string;
  grpc?: string;
  state?: string;
  blockHeight?: number;
  syncedToChain?: boolean;
  activeChannels?: number;
  channel?: { active: boolean; localSat: number; remoteSat: number };
}

export interface RegtestStatus {
  up: boolean;
  ready?: boolean;
  dir: string;
  portBase?: number;
  startedAt?: string;
  upSeconds?: number;
  btcd?: { pid?: number; alive: boolean; rpc?: string; height?: number };
  alice?: NodeStatus;
  bob?: NodeStatus;
  channel?: RegtestState['channel'];
  lnbits?: { pid?: number; alive: boolean; url?: string; walletId?: string; balanceMsat?: number };
  problems: string[];
}

/** Environment variables for tests (see docs/regtest.md); LNBITS_* only when LNbits runs. */
export type RegtestEnv = Record<string, string> & {
  ALICE_REST: string;
  ALICE_GRPC: string;
  ALICE_MACAROON: string;
  ALICE_INVOICE_MACAROON: string;
  ALICE_CERT: string;
  ALICE_PUBKEY: string;
  ALICE_CONNECTION: string;
  ALICE_GRPC_CONNECTION: string;
  BOB_REST: string;
  BOB_GRPC: string;
  BOB_MACAROON: string;
  BOB_INVOICE_MACAROON: string;
  BOB_CERT: string;
  BOB_PUBKEY: string;
  BOB_CONNECTION: string;
  BOB_GRPC_CONNECTION: string;
  BTCD_RPC: string;
  FAREBOX_REGTEST_DIR: string;
};

export interface UpOptions {
  /** false: no LNbits (also FAREBOX_REGTEST_LNBITS=0). Default true. */
  lnbits?: boolean;
  /** Replace the progress logger; null silences it. */
  log?: ((msg: string) => void) | null;
  /** Leave the processes running after a failed bring-up. */
  keepOnFailure?: boolean;
}

export declare function regtestDir(): string;
export declare function portBase(): number;
export declare function readState(dir?: string): RegtestState | undefined;
/** Start the network, or confirm it is up (idempotent). Rejects with a RegtestError. */
export declare function up(opts?: UpOptions): Promise<RegtestStatus>;
/** Stop LNbits, the lnds, btcd; remove the state dir unless keep. Idempotent. */
export declare function down(opts?: {
  keep?: boolean;
  log?: ((msg: string) => void) | null;
}): Promise<{ stopped: Record<string, boolean>; removed: boolean }>;
/** Never rejects; `up` is true only when every part answers. */
export declare function status(): Promise<RegtestStatus>;
/** Throws a RegtestError when the network is not up. */
export declare function env(): RegtestEnv;
/** Mine n blocks (default 1); by default waits until alice and bob are synced to them. */
export declare function mine(
  n?: number,
  opts?: { sync?: boolean },
): Promise<{ hashes: string[]; height: number }>;
export declare function btcdRpc(method: string, params?: unknown[], state?: RegtestState): Promise<Json>;
/** REST request to the network's LNbits; key 'invoice' (default), 'admin', or a raw API key. */
export declare function lnbitsApi(
  pathname: string,
  opts?: { method?: string; body?: unknown; key?: string },
  state?: RegtestState,
): Promise<Json>;

export declare class LndRest {
  constructor(node: { rest: string; cert: string; macaroon?: string });
  rest: string;
  get(path: string, opts?: object): Promise<Json>;
  post(path: string, body: unknown, opts?: object): Promise<Json>;
  state(): Promise<string>;
  getInfo(): Promise<Json>;
  addInvoice(
    valueSat: number,
    memo?: string,
  ): Promise<{ r_hash: string; payment_request: string; add_index: string }>;
  /** Pays through /v2/router/send; resolves the final Payment, rejects unless SUCCEEDED. */
  payInvoice(paymentRequest: string, opts?: { timeoutSeconds?: number; feeLimitSat?: number }): Promise<Json>;
  route(pubkey: string, amtSat: number): Promise<Json | undefined>;
}
/** Restart alice or bob in place; resolves once it is SERVER_ACTIVE and its channel is active again. */
export declare function restartNode(
  name: 'alice' | 'bob',
  opts?: { timeoutMs?: number },
): Promise<LndNodeState>;
/** An lnd REST client (admin macaroon) for alice or bob. */
export declare function lnd(name: 'alice' | 'bob', state?: RegtestState): LndRest;
