// farebox regtest: a real Bitcoin regtest Lightning network on loopback.
// btcd + two lnd nodes (alice, bob) with a funded channel alice→bob, and
// LNbits on bob. `scripts/regtest` is the CLI; tests can import these
// functions directly:
//
//   import { up, down, status, env, mine, lnd } from '../../scripts/regtest-lib/index.mjs';

import fs from 'node:fs';
import path from 'node:path';
import { binaryPaths, ensureBtcd, ensureLnbits, ensureLnd, lnbitsPaths } from './binaries.mjs';
import { regtestWallet } from './keys.mjs';
import { fundingTxid, LndRest } from './lnd.mjs';
import {
  groupAlive,
  log,
  pidAlive,
  portFree,
  RegtestError,
  readJson,
  request,
  requestJson,
  setLogger,
  spawnDaemon,
  step,
  stopProcess,
  tail,
  waitFor,
  withLock,
  writeFileAtomic,
} from './util.mjs';

export { LndRest } from './lnd.mjs';
export { describeError, RegtestError, setLogger } from './util.mjs';

export const DEFAULT_PORT_BASE = 29700;
export const CHANNEL_CAPACITY_SAT = 1_000_000;
export const CHANNEL_PUSH_SAT = 200_000;
const RPC_USER = 'farebox';
const RPC_PASS = 'farebox-regtest';
const ALICE_WALLET_PASSWORD = 'farebox-regtest-alice';
const LNBITS_USER = 'farebox';
const LNBITS_PASSWORD = 'farebox-regtest';
const MARKER = '.farebox-regtest';

// ---------------------------------------------------------------- layout

export function regtestDir() {
  return path.resolve(
    process.env.FAREBOX_REGTEST_DIR || path.join(process.env.TMPDIR || '/tmp', 'farebox-regtest'),
  );
}

export function portBase() {
  const raw = process.env.FAREBOX_REGTEST_PORT_BASE;
  if (!raw) return DEFAULT_PORT_BASE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024 || n > 65_000) {
    throw new RegtestError('config', `FAREBOX_REGTEST_PORT_BASE=${raw}: need an integer in 1024..65000`);
  }
  return n;
}

/** Every path and port of a network in `dir` with ports from `base`. */
export function layout(dir = regtestDir(), base = portBase()) {
  const logs = path.join(dir, 'logs');
  const node = (name, offset) => {
    const lnddir = path.join(dir, name);
    const macdir = path.join(lnddir, 'data', 'chain', 'bitcoin', 'regtest');
    return {
      name,
      lnddir,
      ports: { p2p: base + offset, grpc: base + offset + 1, rest: base + offset + 2 },
      cert: path.join(lnddir, 'tls.cert'),
      macaroon: path.join(macdir, 'admin.macaroon'),
      invoiceMacaroon: path.join(macdir, 'invoice.macaroon'),
      readonlyMacaroon: path.join(macdir, 'readonly.macaroon'),
      log: path.join(logs, `${name}.log`),
    };
  };
  const btcdDir = path.join(dir, 'btcd');
  return {
    dir,
    base,
    stateFile: path.join(dir, 'state.json'),
    logs,
    btcd: {
      dir: btcdDir,
      conf: path.join(btcdDir, 'btcd.conf'),
      data: path.join(btcdDir, 'data'),
      logdir: path.join(btcdDir, 'logs'),
      cert: path.join(btcdDir, 'rpc.cert'),
      key: path.join(btcdDir, 'rpc.key'),
      ports: { p2p: base, rpc: base + 1 },
      log: path.join(logs, 'btcd.log'),
    },
    alice: { ...node('alice', 10), passwordFile: path.join(dir, 'alice.password') },
    bob: node('bob', 20),
    lnbits: {
      dir: path.join(dir, 'lnbits'),
      data: path.join(dir, 'lnbits', 'data'),
      ext: path.join(dir, 'lnbits', 'ext'),
      port: base + 30,
      log: path.join(logs, 'lnbits.log'),
    },
  };
}

function loadState(dir = regtestDir()) {
  return readJson(path.join(dir, 'state.json'));
}

/** The parsed state.json of the network in `dir` (default regtestDir()), or undefined. */
export function readState(dir = regtestDir()) {
  return loadState(dir);
}

function saveState(state) {
  writeFileAtomic(path.join(state.dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

// ---------------------------------------------------------------- clients

/** btcd JSON-RPC call against the network in `state`. */
export async function btcdRpc(method, params = [], state = loadState()) {
  if (!state?.btcd) throw new Error('regtest network is not up (no state.json)');
  const res = await request(`https://${state.btcd.rpc}/`, {
    method: 'POST',
    body: { jsonrpc: '1.0', id: method, method, params },
    headers: {
      authorization: `Basic ${Buffer.from(`${state.btcd.rpcUser}:${state.btcd.rpcPass}`).toString('base64')}`,
    },
    ca: fs.readFileSync(state.btcd.rpcCert),
    timeoutMs: 60_000,
  });
  let body;
  try {
    body = res.json();
  } catch {
    throw new Error(`btcd ${method}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
  }
  if (body.error) throw new Error(`btcd ${method}: ${body.error.message} (code ${body.error.code})`);
  return body.result;
}

/** An lnd REST client for 'alice' or 'bob' (admin macaroon). */
export function lnd(name, state = loadState()) {
  const n = state?.[name];
  if (!n?.rest) throw new Error(`regtest node ${name} is unknown or the network is not up`);
  return new LndRest({ rest: n.rest, cert: n.cert, macaroon: n.macaroon });
}

/** A request to the LNbits of `state`; `key` is 'admin' or 'invoice' (or a raw key). */
export async function lnbitsApi(
  pathname,
  { method = 'GET', body, key = 'invoice' } = {},
  state = loadState(),
) {
  const lb = state?.lnbits;
  if (!lb?.url) throw new Error('LNbits is not part of this regtest network');
  const apiKey = key === 'admin' ? lb.adminKey : key === 'invoice' ? lb.invoiceKey : key;
  return requestJson(lb.url + pathname, { method, body, headers: apiKey ? { 'x-api-key': apiKey } : {} });
}

// ---------------------------------------------------------------- up

/** waitFor that gives up at once when the process behind it has died. */
function waitWhileAlive(what, proc, probe, opts) {
  return waitFor(
    what,
    () => {
      if (!pidAlive(proc.pid, proc.match)) {
        const err = new Error(`${proc.name} (pid ${proc.pid}) exited while waiting for ${what}`);
        err.fatal = true;
        throw err;
      }
      return probe();
    },
    opts,
  );
}

function lndArgs(L, node, state) {
  return [
    `--lnddir=${node.lnddir}`,
    '--bitcoin.regtest',
    '--bitcoin.node=btcd',
    `--btcd.rpchost=${state.btcd.rpc}`,
    `--btcd.rpcuser=${RPC_USER}`,
    `--btcd.rpcpass=${RPC_PASS}`,
    `--btcd.rpccert=${L.btcd.cert}`,
    `--listen=127.0.0.1:${node.ports.p2p}`,
    `--rpclisten=127.0.0.1:${node.ports.grpc}`,
    `--restlisten=127.0.0.1:${node.ports.rest}`,
    `--alias=${node.name}`,
    '--nobootstrap',
    '--bitcoin.defaultchanconfs=1',
    '--trickledelay=50',
    '--debuglevel=info',
  ];
}

function nodeState(node) {
  return {
    pid: undefined,
    alias: node.name,
    pubkey: undefined,
    p2p: `127.0.0.1:${node.ports.p2p}`,
    grpc: `127.0.0.1:${node.ports.grpc}`,
    rest: `https://127.0.0.1:${node.ports.rest}`,
    lnddir: node.lnddir,
    cert: node.cert,
    macaroon: node.macaroon,
    invoiceMacaroon: node.invoiceMacaroon,
    readonlyMacaroon: node.readonlyMacaroon,
    log: node.log,
  };
}

async function waitSynced(name, state, height, timeoutMs = 60_000) {
  const node = state[name];
  const client = lnd(name, state);
  return waitWhileAlive(
    `${name} to sync to block ${height}`,
    { pid: node.pid, name, log: node.log, match: node.lnddir },
    async () => {
      const info = await client.getInfo();
      if (info.synced_to_chain && info.block_height >= height) return info;
      throw new Error(`${name} at block ${info.block_height}, synced_to_chain=${info.synced_to_chain}`);
    },
    { timeoutMs, intervalMs: 200 },
  );
}

async function mineBlocks(n, state) {
  const hashes = await btcdRpc('generate', [n], state);
  const height = await btcdRpc('getblockcount', [], state);
  return { hashes, height };
}

/**
 * Bring the network up (idempotent). Resolves the status() object.
 * Options: { lnbits: false } skips LNbits; { log: fn } replaces the progress
 * logger; { keepOnFailure: true } leaves the processes running after a failure.
 */
export async function up(opts = {}) {
  if (opts.log !== undefined) setLogger(opts.log);
  const dir = regtestDir();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, 'changing this regtest network', () => upLocked(dir, opts), 30 * 60_000);
}

async function upLocked(dir, opts) {
  const withLnbits = opts.lnbits ?? process.env.FAREBOX_REGTEST_LNBITS !== '0';
  if (loadState(dir)) {
    const st = await status();
    if (st.up && (!withLnbits || st.lnbits)) {
      log(`already up and healthy (${dir})`);
      if (process.env.FAREBOX_REGTEST_PORT_BASE && st.portBase !== portBase()) {
        log(`note: it uses port base ${st.portBase}, not FAREBOX_REGTEST_PORT_BASE=${portBase()}`);
      }
      return st;
    }
    const why = st.up ? 'it has no LNbits' : st.problems.join('; ');
    log(`the network in ${dir} is not healthy (${why}): tearing it down and starting fresh`);
    await downLocked(dir, { keep: false });
  } else if (fs.existsSync(dir)) {
    if (fs.existsSync(path.join(dir, MARKER))) {
      await downLocked(dir, { keep: false });
    } else if (fs.readdirSync(dir).length > 0) {
      throw new RegtestError(
        'prepare directory',
        `${dir} exists, is not empty, and was not made by scripts/regtest: refusing to use it`,
      );
    }
  }

  const started = Date.now();
  const L = layout(dir);
  const state = {
    version: 1,
    ready: false,
    dir,
    portBase: L.base,
    startedAt: new Date().toISOString(),
    upSeconds: undefined,
    btcd: undefined,
    alice: undefined,
    bob: undefined,
    channel: undefined,
    lnbits: undefined,
  };

  try {
    await step('check ports', undefined, async () => {
      const wanted = [
        ['btcd p2p', L.btcd.ports.p2p],
        ['btcd rpc', L.btcd.ports.rpc],
        ...['alice', 'bob'].flatMap((n) => Object.entries(L[n].ports).map(([k, p]) => [`${n} ${k}`, p])),
        ...(withLnbits ? [['lnbits', L.lnbits.port]] : []),
      ];
      const busy = [];
      for (const [what, port] of wanted) if (!(await portFree(port))) busy.push(`${port} (${what})`);
      if (busy.length) {
        throw new Error(
          `ports in use on 127.0.0.1: ${busy.join(', ')}; stop whatever uses them or set FAREBOX_REGTEST_PORT_BASE (now ${L.base})`,
        );
      }
    });

    // LNbits' pip install (first time ~1 min) overlaps with the Lightning bring-up.
    const lnbitsInstall = withLnbits ? ensureLnbits() : undefined;
    lnbitsInstall?.catch(() => {});

    await step('build or find btcd', undefined, ensureBtcd);
    await step('build or find lnd', undefined, ensureLnd);
    const bins = binaryPaths();

    fs.mkdirSync(L.logs, { recursive: true });
    fs.writeFileSync(
      path.join(dir, MARKER),
      'made by farebox scripts/regtest; `scripts/regtest down` removes it\n',
    );
    for (const d of [L.btcd.dir, L.btcd.data, L.btcd.logdir, L.alice.lnddir, L.bob.lnddir]) {
      fs.mkdirSync(d, { recursive: true });
    }

    // ---- btcd, mining to alice's deterministic first address
    const aliceWallet = regtestWallet('alice');
    state.btcd = {
      pid: undefined,
      rpc: `127.0.0.1:${L.btcd.ports.rpc}`,
      p2p: `127.0.0.1:${L.btcd.ports.p2p}`,
      rpcUser: RPC_USER,
      rpcPass: RPC_PASS,
      rpcCert: L.btcd.cert,
      miningAddress: aliceWallet.address,
      datadir: L.btcd.data,
      log: L.btcd.log,
    };
    await step('start btcd', L.btcd.log, async () => {
      fs.writeFileSync(L.btcd.conf, '');
      state.btcd.command = [
        bins.btcd,
        '--regtest',
        `--configfile=${L.btcd.conf}`,
        `--datadir=${L.btcd.data}`,
        `--logdir=${L.btcd.logdir}`,
        `--rpccert=${L.btcd.cert}`,
        `--rpckey=${L.btcd.key}`,
        `--rpcuser=${RPC_USER}`,
        `--rpcpass=${RPC_PASS}`,
        `--rpclisten=127.0.0.1:${L.btcd.ports.rpc}`,
        `--listen=127.0.0.1:${L.btcd.ports.p2p}`,
        `--miningaddr=${aliceWallet.address}`,
        '--txindex',
        '--nodnsseed',
        '--debuglevel=info',
      ];
      state.btcd.pid = spawnDaemon(state.btcd.command[0], state.btcd.command.slice(1), {
        logFile: L.btcd.log,
        cwd: L.btcd.dir,
      });
      saveState(state);
      await waitWhileAlive(
        'btcd RPC',
        { pid: state.btcd.pid, name: 'btcd', log: L.btcd.log, match: L.btcd.data },
        async () => {
          if (!fs.existsSync(L.btcd.cert)) throw new Error('no rpc.cert yet');
          return (await btcdRpc('getblockcount', [], state)) >= 0;
        },
        { timeoutMs: 30_000 },
      );
      // One block first, so the tip is recent and the lnds see a current chain.
      await mineBlocks(1, state);
      log(`btcd up (pid ${state.btcd.pid}, rpc ${state.btcd.rpc})`);
    });

    // ---- alice (deterministic wallet) and bob (--noseedbackup)
    state.alice = nodeState(L.alice);
    state.bob = nodeState(L.bob);
    fs.writeFileSync(L.alice.passwordFile, ALICE_WALLET_PASSWORD, { mode: 0o600 });
    // alice's wallet unlocks itself from the password file, bob has none: either
    // can be restarted unattended with its `command` from state.json.
    state.alice.command = [
      bins.lnd,
      ...lndArgs(L, L.alice, state),
      `--wallet-unlock-password-file=${L.alice.passwordFile}`,
      '--wallet-unlock-allow-create',
    ];
    state.bob.command = [bins.lnd, ...lndArgs(L, L.bob, state), '--noseedbackup'];
    for (const name of ['alice', 'bob']) {
      state[name].pid = spawnDaemon(state[name].command[0], state[name].command.slice(1), {
        logFile: L[name].log,
        cwd: L[name].lnddir,
      });
    }
    saveState(state);

    const proc = (name) => ({ pid: state[name].pid, name, log: L[name].log, match: L[name].lnddir });
    const serverActive = (name) =>
      waitWhileAlive(
        `${name} to reach SERVER_ACTIVE`,
        proc(name),
        async () => {
          const s = await lnd(name, state).state();
          if (s === 'SERVER_ACTIVE') return s;
          throw new Error(`state ${s}`);
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );

    await Promise.all([
      step('start alice', L.alice.log, async () => {
        const unauth = new LndRest({ rest: state.alice.rest, cert: L.alice.cert });
        const s = await waitWhileAlive(
          'alice to wait for a wallet',
          proc('alice'),
          async () => {
            const st = await unauth.state();
            if (st === 'NON_EXISTING' || st === 'WAITING_TO_START') return st;
            throw new Error(`state ${st}`);
          },
          { timeoutMs: 60_000 },
        );
        if (s === 'WAITING_TO_START') {
          await waitWhileAlive(
            'alice to accept initwallet',
            proc('alice'),
            async () => (await unauth.state()) === 'NON_EXISTING',
            { timeoutMs: 60_000 },
          );
        }
        await requestJson(`${state.alice.rest}/v1/initwallet`, {
          method: 'POST',
          ca: fs.readFileSync(L.alice.cert),
          body: {
            wallet_password: Buffer.from(ALICE_WALLET_PASSWORD).toString('base64'),
            extended_master_key: aliceWallet.tprv,
            recovery_window: 20,
          },
          timeoutMs: 120_000,
        });
        await serverActive('alice');
        log('alice: SERVER_ACTIVE');
      }),
      step('start bob', L.bob.log, async () => {
        await serverActive('bob');
        log('bob: SERVER_ACTIVE');
      }),
    ]);
    const alice = lnd('alice', state);
    const bob = lnd('bob', state);
    state.alice.pubkey = (await alice.getInfo()).identity_pubkey;
    state.bob.pubkey = (await bob.getInfo()).identity_pubkey;
    saveState(state);

    // ---- fund alice: 1 block already mined to her, 100 more mature it
    await step('fund alice', L.alice.log, async () => {
      const { account_with_addresses: accounts = [] } = await alice.get('/v2/wallet/addresses');
      const mine = accounts.flatMap((a) => a.addresses ?? []).map((a) => a.address);
      if (!mine.includes(aliceWallet.address)) {
        throw new Error(
          `alice's wallet does not own the mining address ${aliceWallet.address} (keys.mjs derivation ` +
            `does not match lnd's; lnd's addresses: ${mine.slice(0, 4).join(', ')})`,
        );
      }
      const { height } = await mineBlocks(100, state);
      await waitSynced('alice', state, height);
      const balance = await waitWhileAlive(
        "alice's mined coins to be spendable",
        proc('alice'),
        async () => {
          const b = await alice.get('/v1/balance/blockchain');
          if (Number(b.confirmed_balance) >= 2 * CHANNEL_CAPACITY_SAT) return b;
          throw new Error(
            `confirmed_balance ${b.confirmed_balance} sat (mining address ${aliceWallet.address}; ` +
              "if this stays 0, alice's wallet does not own it: the derivation in keys.mjs is off)",
          );
        },
        { timeoutMs: 60_000 },
      );
      log(`alice funded: ${Number(balance.confirmed_balance) / 1e8} BTC at height ${height}`);
    });

    // ---- channel alice → bob
    await step('open channel alice→bob', L.alice.log, async () => {
      const tip = await btcdRpc('getblockcount', [], state);
      await waitSynced('bob', state, tip);
      await alice
        .post('/v1/peers', { addr: { pubkey: state.bob.pubkey, host: state.bob.p2p }, perm: false })
        .catch((err) => {
          if (!/already connected/i.test(err.message)) throw err;
        });
      const point = await waitFor(
        'alice to open a channel to bob',
        () =>
          alice.post('/v1/channels', {
            node_pubkey: Buffer.from(state.bob.pubkey, 'hex').toString('base64'),
            local_funding_amount: String(CHANNEL_CAPACITY_SAT),
            push_sat: String(CHANNEL_PUSH_SAT),
            sat_per_vbyte: '2',
          }),
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const txid = fundingTxid(point);
      state.channel = {
        channelPoint: `${txid}:${point.output_index ?? 0}`,
        capacitySat: CHANNEL_CAPACITY_SAT,
        pushSat: CHANNEL_PUSH_SAT,
      };
      saveState(state);
      await waitFor(
        'the funding transaction in btcd’s mempool',
        async () => (await btcdRpc('getrawmempool', [], state)).includes(txid),
        { timeoutMs: 20_000 },
      );
      const { height } = await mineBlocks(6, state);
      await Promise.all([waitSynced('alice', state, height), waitSynced('bob', state, height)]);
      for (const [name, client] of [
        ['alice', alice],
        ['bob', bob],
      ]) {
        await waitWhileAlive(
          `the channel to be active on ${name}`,
          proc(name),
          async () => {
            const { channels = [] } = await client.get('/v1/channels?active_only=true');
            return channels.find((c) => c.channel_point === state.channel.channelPoint);
          },
          { timeoutMs: 60_000 },
        );
      }
      log(
        `channel ${state.channel.channelPoint} active (${CHANNEL_CAPACITY_SAT} sat, ${CHANNEL_PUSH_SAT} pushed to bob)`,
      );
      await waitFor('a route alice→bob', () => alice.route(state.bob.pubkey, 1000), { timeoutMs: 30_000 });
      await waitFor('a route bob→alice', () => bob.route(state.alice.pubkey, 1000), { timeoutMs: 30_000 });
      log('channel payable both ways');
    });

    await step('pay bob→alice', L.bob.log, async () => {
      const inv = await alice.addInvoice(1000, 'farebox regtest: bob→alice check');
      await bob.payInvoice(inv.payment_request);
    });
    await step('pay alice→bob', L.alice.log, async () => {
      const inv = await bob.addInvoice(1000, 'farebox regtest: alice→bob check');
      await alice.payInvoice(inv.payment_request);
      log('payments bob→alice and alice→bob settled');
    });

    // ---- LNbits on bob
    if (withLnbits) {
      // Started only now: alongside the channel bring-up it made both slower on 2 cores.
      const inst = await step(
        'install LNbits',
        path.join(lnbitsPaths().root, 'install.log'),
        () => lnbitsInstall,
      );
      await step('start LNbits', L.lnbits.log, () => startLnbits(L, state, inst));
      await step('check LNbits', L.lnbits.log, async () => {
        const inv = await lnbitsApi(
          '/api/v1/payments',
          {
            method: 'POST',
            body: { out: false, amount: 1000, unit: 'sat', memo: 'farebox regtest: LNbits check' },
          },
          state,
        );
        const bolt11 = inv.bolt11 ?? inv.payment_request;
        await alice.payInvoice(bolt11);
        await waitFor(
          'LNbits to see its invoice paid',
          async () => {
            const p = await lnbitsApi(`/api/v1/payments/${inv.payment_hash}`, {}, state);
            if (p.paid) return p;
            throw new Error(JSON.stringify(p).slice(0, 200));
          },
          { timeoutMs: 30_000, intervalMs: 300 },
        );
        log('LNbits invoice paid by alice and settled');
      });
    }

    state.ready = true;
    state.upSeconds = Math.round((Date.now() - started) / 100) / 10;
    saveState(state);
    log(`up in ${state.upSeconds} s (state: ${L.stateFile})`);
    return await status();
  } catch (err) {
    // the log as it was at the failure, before stopping adds shutdown noise
    if (err.logFile && err.logTail === undefined) err.logTail = tail(err.logFile, 40);
    const dead = [
      ['btcd', state.btcd?.pid, state.btcd?.datadir],
      ['alice', state.alice?.pid, state.alice?.lnddir],
      ['bob', state.bob?.pid, state.bob?.lnddir],
      ['LNbits', state.lnbits?.pid, state.lnbits?.executable],
    ].filter(([, pid, match]) => pid && !pidAlive(pid, match));
    if (dead.length && !/exited while waiting/.test(err.message)) {
      err.message += ` (no longer running: ${dead.map(([n, pid]) => `${n} pid ${pid}`).join(', ')})`;
    }
    if (!opts.keepOnFailure && process.env.FAREBOX_REGTEST_KEEP_ON_FAILURE !== '1') {
      try {
        saveState(state);
        await stopAll(state);
      } catch {
        // the original error matters more
      }
    }
    throw err;
  }
}

async function startLnbits(L, state, inst) {
  fs.mkdirSync(L.lnbits.data, { recursive: true });
  fs.mkdirSync(L.lnbits.ext, { recursive: true });
  // LNbits serves lnbits/static relative to its working directory.
  const link = path.join(L.lnbits.dir, 'lnbits');
  fs.rmSync(link, { force: true });
  fs.symlinkSync(inst.packageDir, link);
  const url = `http://127.0.0.1:${L.lnbits.port}`;
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LNBITS_|LND_)/.test(k))),
    LNBITS_DATA_FOLDER: L.lnbits.data,
    LNBITS_EXTENSIONS_PATH: L.lnbits.ext,
    LNBITS_BASEURL: `${url}/`,
    LNBITS_BACKEND_WALLET_CLASS: 'LndRestWallet',
    LND_REST_ENDPOINT: state.bob.rest,
    LND_REST_CERT: state.bob.cert,
    LND_REST_MACAROON: state.bob.macaroon,
    // loopback only: no price feeds, no extension manifests from the internet
    LNBITS_PRICE_AGGREGATOR_ENABLED: 'false',
    LNBITS_EXCHANGE_RATE_PROVIDERS: '[]',
    LNBITS_EXTENSIONS_MANIFESTS: '[]',
    LNBITS_WASM_EXTENSIONS_MANIFESTS: '[]',
    LNBITS_EXTENSIONS_DEFAULT_INSTALL: '[]',
    // tests hit it hard; the default is 200 requests a minute
    LNBITS_RATE_LIMIT_NO: '1000000',
    PYTHONUNBUFFERED: '1',
  };
  state.lnbits = {
    pid: undefined,
    url,
    port: L.lnbits.port,
    username: LNBITS_USER,
    password: LNBITS_PASSWORD,
    userId: undefined,
    walletId: undefined,
    adminKey: undefined,
    invoiceKey: undefined,
    dataDir: L.lnbits.data,
    executable: inst.lnbits,
    log: L.lnbits.log,
  };
  state.lnbits.pid = spawnDaemon(inst.lnbits, ['--host', '127.0.0.1', '--port', String(L.lnbits.port)], {
    logFile: L.lnbits.log,
    cwd: L.lnbits.dir,
    env,
  });
  saveState(state);
  const t0 = Date.now();
  await waitWhileAlive(
    'LNbits to answer HTTP',
    { pid: state.lnbits.pid, name: 'LNbits', log: L.lnbits.log, match: inst.lnbits },
    async () => {
      const res = await request(`${url}/api/v1/health`, { timeoutMs: 3000 });
      return res.status > 0;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  log(`LNbits answering on ${url} after ${Math.round((Date.now() - t0) / 100) / 10} s`);
  await requestJson(`${url}/api/v1/auth/first_install`, {
    method: 'PUT',
    body: { username: LNBITS_USER, password: LNBITS_PASSWORD, password_repeat: LNBITS_PASSWORD },
  });
  const wallet = await requestJson(`${url}/api/v1/account`, {
    method: 'POST',
    body: { name: 'farebox-regtest' },
  });
  if (!wallet.adminkey || !wallet.inkey) {
    throw new Error(`POST /api/v1/account returned no keys: ${JSON.stringify(wallet).slice(0, 300)}`);
  }
  Object.assign(state.lnbits, {
    userId: wallet.user,
    walletId: wallet.id,
    adminKey: wallet.adminkey,
    invoiceKey: wallet.inkey,
  });
  saveState(state);
  // no fiat currency: otherwise every invoice waits on (offline) price feeds
  await requestJson(`${url}/api/v1/wallet`, {
    method: 'PATCH',
    body: { currency: '' },
    headers: { 'x-api-key': wallet.adminkey },
  });
  const funding = await lnbitsApi('/api/v1/wallet', {}, state);
  log(
    `LNbits ready (wallet ${wallet.id}, funding source LndRestWallet on bob, balance ${funding.balance} msat)`,
  );
}

// ---------------------------------------------------------------- down

/** Stop what is running of `state`; resolves { name: stopped? } for what was running. */
async function stopAll(state) {
  const results = {};
  const lb = state?.lnbits;
  if (lb?.pid && (pidAlive(lb.pid, lb.executable) || groupAlive(lb.pid, lb.executable))) {
    // LNbits is a parent and a child: stop its whole process group.
    results.lnbits = await stopProcess(lb.pid, { group: true, match: lb.executable, graceMs: 15_000 });
  }
  // The lnds before btcd: an lnd whose btcd is gone hangs ~30 s on shutdown.
  const lnds = ['alice', 'bob'].filter((n) => pidAlive(state?.[n]?.pid, state?.[n]?.lnddir));
  await Promise.all(
    lnds.map(async (n) => {
      results[n] = await stopProcess(state[n].pid, { match: state[n].lnddir, graceMs: 30_000 });
    }),
  );
  if (pidAlive(state?.btcd?.pid, state?.btcd?.datadir)) {
    results.btcd = await stopProcess(state.btcd.pid, { match: state.btcd.datadir, graceMs: 20_000 });
  }
  return results;
}

/** Stop everything; remove the state dir unless { keep: true }. Idempotent. */
export async function down(opts = {}) {
  if (opts.log !== undefined) setLogger(opts.log);
  const dir = regtestDir();
  if (!fs.existsSync(dir)) {
    log(`already down (${dir} does not exist)`);
    return { stopped: {}, removed: false };
  }
  return withLock(`${dir}.lock`, 'changing this regtest network', () => downLocked(dir, opts), 5 * 60_000);
}

async function downLocked(dir, { keep = false } = {}) {
  const state = loadState(dir);
  const stopped = state ? await stopAll(state) : {};
  const names = Object.keys(stopped);
  if (names.length) log(`stopped ${names.join(', ')}`);
  const failed = names.filter((n) => !stopped[n]);
  if (failed.length) throw new RegtestError('down', `could not stop ${failed.join(', ')}`);
  let removed = false;
  if (!keep && fs.existsSync(dir)) {
    if (fs.existsSync(path.join(dir, MARKER)) || state) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed = true;
      log(`removed ${dir}`);
    } else {
      log(`left ${dir} in place: not made by scripts/regtest`);
    }
  } else if (state) {
    saveState({ ...state, ready: false });
  }
  return { stopped, removed };
}

// ---------------------------------------------------------------- status / env / mine

/** Health of the network. `up` is true only when every part answers. Never throws. */
export async function status() {
  const dir = regtestDir();
  const state = loadState(dir);
  if (!state) return { up: false, dir, problems: [`not started (no ${path.join(dir, 'state.json')})`] };
  const problems = [];
  const out = {
    up: false,
    ready: !!state.ready,
    dir,
    portBase: state.portBase,
    startedAt: state.startedAt,
    upSeconds: state.upSeconds,
    btcd: { pid: state.btcd?.pid, alive: false, rpc: state.btcd?.rpc, height: undefined },
    alice: undefined,
    bob: undefined,
    channel: state.channel,
    lnbits: undefined,
    problems,
  };
  if (!state.ready) problems.push('bring-up did not finish (ready=false)');
  const tryIt = async (what, fn) => {
    try {
      return await fn();
    } catch (err) {
      problems.push(`${what}: ${err.message}`);
      return undefined;
    }
  };
  out.btcd.alive = pidAlive(state.btcd?.pid, state.btcd?.datadir);
  if (!out.btcd.alive) problems.push('btcd is not running');
  else out.btcd.height = await tryIt('btcd', () => btcdRpc('getblockcount', [], state));

  for (const name of ['alice', 'bob']) {
    const n = state[name];
    const s = {
      pid: n?.pid,
      alive: pidAlive(n?.pid, n?.lnddir),
      pubkey: n?.pubkey,
      rest: n?.rest,
      grpc: n?.grpc,
    };
    out[name] = s;
    if (!s.alive) {
      problems.push(`${name} is not running`);
      continue;
    }
    const client = lnd(name, state);
    s.state = await tryIt(`${name} state`, () => client.state());
    if (s.state !== 'SERVER_ACTIVE') {
      if (s.state) problems.push(`${name} is ${s.state}`);
      continue;
    }
    const info = await tryIt(`${name} getinfo`, () => client.getInfo());
    if (info) {
      s.blockHeight = info.block_height;
      s.syncedToChain = info.synced_to_chain;
      s.activeChannels = info.num_active_channels;
    }
    const chans = await tryIt(`${name} channels`, () => client.get('/v1/channels'));
    const ch = chans?.channels?.find((c) => c.channel_point === state.channel?.channelPoint);
    if (ch) {
      s.channel = {
        active: ch.active,
        localSat: Number(ch.local_balance),
        remoteSat: Number(ch.remote_balance),
      };
      if (!ch.active) problems.push(`${name}: channel ${ch.channel_point} is not active`);
    } else if (chans) {
      problems.push(`${name}: channel ${state.channel?.channelPoint} not found`);
    }
  }

  if (state.lnbits) {
    const lb = state.lnbits;
    const s = { pid: lb.pid, alive: pidAlive(lb.pid, lb.executable), url: lb.url, walletId: lb.walletId };
    out.lnbits = s;
    if (!s.alive) problems.push('LNbits is not running');
    else {
      const w = await tryIt('LNbits wallet', () => lnbitsApi('/api/v1/wallet', {}, state));
      if (w) s.balanceMsat = w.balance;
    }
  }
  out.up = problems.length === 0;
  return out;
}

/** A farebox connection-string path parameter: percent-encoded, but '/' kept readable. */
const q = (s) => encodeURIComponent(s).replaceAll('%2F', '/');

/** The environment variables for tests, as an object. Throws if the network is not up. */
export function env() {
  const dir = regtestDir();
  const state = loadState(dir);
  if (!state?.ready) {
    throw new RegtestError('env', `the regtest network in ${dir} is not up: run scripts/regtest up`);
  }
  const out = {};
  for (const name of ['alice', 'bob']) {
    const n = state[name];
    const P = name.toUpperCase();
    out[`${P}_REST`] = n.rest;
    out[`${P}_GRPC`] = n.grpc;
    out[`${P}_P2P`] = n.p2p;
    out[`${P}_MACAROON`] = n.macaroon;
    out[`${P}_INVOICE_MACAROON`] = n.invoiceMacaroon;
    out[`${P}_READONLY_MACAROON`] = n.readonlyMacaroon;
    out[`${P}_CERT`] = n.cert;
    out[`${P}_PUBKEY`] = n.pubkey;
    out[`${P}_CONNECTION`] =
      `lnd+rest://${n.rest.replace(/^https:\/\//, '')}?macaroon=${q(n.macaroon)}&cert=${q(n.cert)}`;
    out[`${P}_INVOICE_CONNECTION`] =
      `lnd+rest://${n.rest.replace(/^https:\/\//, '')}?macaroon=${q(n.invoiceMacaroon)}&cert=${q(n.cert)}`;
    out[`${P}_GRPC_CONNECTION`] = `lnd+grpc://${n.grpc}?macaroon=${q(n.macaroon)}&cert=${q(n.cert)}`;
  }
  out.BTCD_RPC = state.btcd.rpc;
  out.BTCD_RPC_USER = state.btcd.rpcUser;
  out.BTCD_RPC_PASS = state.btcd.rpcPass;
  out.BTCD_RPC_CERT = state.btcd.rpcCert;
  if (state.lnbits) {
    const lb = state.lnbits;
    out.LNBITS_URL = lb.url;
    out.LNBITS_ADMIN_KEY = lb.adminKey;
    out.LNBITS_INVOICE_KEY = lb.invoiceKey;
    out.LNBITS_WALLET_ID = lb.walletId;
    out.LNBITS_CONNECTION = `lnbits://${lb.url.replace(/^http:\/\//, '')}?key=${lb.adminKey}&tls=0`;
    out.LNBITS_INVOICE_CONNECTION = `lnbits://${lb.url.replace(/^http:\/\//, '')}?key=${lb.invoiceKey}&tls=0`;
  }
  out.FAREBOX_REGTEST_DIR = dir;
  return out;
}

/** Mine `n` blocks; by default wait until alice and bob have seen them. */
export async function mine(n = 1, { sync = true } = {}) {
  const state = loadState();
  if (!state?.btcd) throw new RegtestError('mine', 'the regtest network is not up: run scripts/regtest up');
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new RegtestError('mine', `bad block count ${n}`);
  const res = await step('mine', state.btcd.log, () => mineBlocks(n, state));
  if (sync) {
    await step('wait for the nodes to sync', undefined, () =>
      Promise.all(['alice', 'bob'].map((name) => waitSynced(name, state, res.height, 30_000))),
    );
  }
  return res;
}

/**
 * Restart alice or bob in place (same data, ports and keys): stop it, start
 * it with its recorded command, wait for SERVER_ACTIVE and the channel to be
 * active again. For tests of reconnection and restarts.
 */
export async function restartNode(name, { timeoutMs = 90_000 } = {}) {
  if (name !== 'alice' && name !== 'bob') throw new RegtestError('restart', `no node named ${name}`);
  const dir = regtestDir();
  return withLock(`${dir}.lock`, 'changing this regtest network', async () => {
    const state = loadState(dir);
    const n = state?.[name];
    if (!state?.ready || !n?.command) throw new RegtestError('restart', 'the regtest network is not up');
    await step(`stop ${name}`, n.log, async () => {
      if (!(await stopProcess(n.pid, { match: n.lnddir, graceMs: 30_000 })))
        throw new Error(`${name} did not stop`);
    });
    await step(`restart ${name}`, n.log, async () => {
      n.pid = spawnDaemon(n.command[0], n.command.slice(1), { logFile: n.log, cwd: n.lnddir });
      saveState(state);
      const client = lnd(name, state);
      const proc = { pid: n.pid, name, match: n.lnddir };
      await waitWhileAlive(
        `${name} to reach SERVER_ACTIVE`,
        proc,
        async () => (await client.state()) === 'SERVER_ACTIVE',
        { timeoutMs },
      );
      await waitWhileAlive(
        `the channel to be active again on ${name}`,
        proc,
        async () => {
          const { channels = [] } = await client.get('/v1/channels?active_only=true');
          return channels.some((c) => c.channel_point === state.channel.channelPoint);
        },
        { timeoutMs },
      );
      log(`${name} restarted (pid ${n.pid})`);
    });
    return state[name];
  });
}
