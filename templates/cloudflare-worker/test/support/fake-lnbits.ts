/**
 * A stand-in for LNbits' REST API (the calls the Worker makes), over real HTTP on
 * 127.0.0.1, with invoices from farebox's dev node: real signed regtest BOLT11 invoices whose
 * preimages it knows, paid instantly by `pay()`. No real money. It answers like LNbits 1.6:
 * `POST /api/v1/payments` 201, `GET /api/v1/payments/{hash}` with `paid`/`preimage`/`details`,
 * `GET /api/v1/wallet` with the wallet `id` only for the admin key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DevNode } from '@farebox/lightning';

export class FakeLnbits {
  readonly node = new DevNode({ production: false });
  readonly invoiceKey = 'inkey0123456789abcdef';
  readonly adminKey = 'adminkey0123456789abcdef';
  /** Every request: method, path and which key it carried. */
  readonly calls: { method: string; path: string; key: 'invoice' | 'admin' | 'other' }[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => send(res, 500, { detail: 'internal error' }));
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Pays an invoice of this wallet; resolves to the preimage. */
  async pay(paymentRequest: string): Promise<string> {
    return (await this.node.payInvoice(paymentRequest)).preimage;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    await this.node.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const k = req.headers['x-api-key'];
    const key = k === this.invoiceKey ? 'invoice' : k === this.adminKey ? 'admin' : 'other';
    this.calls.push({ method: req.method ?? '', path, key });
    if (key === 'other') return send(res, 404, { detail: 'Wallet not found.' });
    if (req.method === 'GET' && path === '/api/v1/wallet') {
      const w = { name: 'fake', balance: 1_000_000 };
      return send(res, 200, key === 'admin' ? { id: 'wallet-id', ...w } : w);
    }
    if (req.method === 'POST' && path === '/api/v1/payments') {
      const body = JSON.parse(await text(req)) as {
        out?: boolean;
        amount?: number;
        memo?: string;
        expiry?: number;
      };
      if (body.out !== false || typeof body.amount !== 'number')
        return send(res, 400, { detail: 'bad request' });
      const inv = await this.node.createInvoice({
        amountMsat: BigInt(body.amount) * 1000n,
        memo: body.memo ?? '',
        expirySeconds: body.expiry ?? 3600,
      });
      return send(res, 201, {
        payment_hash: inv.paymentHash,
        payment_request: inv.paymentRequest,
        expiry: new Date(inv.expiresAt * 1000).toISOString(),
      });
    }
    const m = /^\/api\/v1\/payments\/([0-9a-f]{64})$/.exec(path);
    if (req.method === 'GET' && m) {
      let st: Awaited<ReturnType<DevNode['lookupInvoice']>>;
      try {
        st = await this.node.lookupInvoice(m[1]!);
      } catch {
        return send(res, 404, { detail: 'Payment does not exist.' });
      }
      const paid = st.state === 'settled';
      const status = paid ? 'success' : 'pending';
      return send(res, 200, {
        paid,
        status,
        preimage: st.preimage ?? null,
        details: {
          payment_hash: st.paymentHash,
          amount: Number(st.amountMsat ?? 0n),
          payment_request: st.paymentRequest,
          status,
        },
      });
    }
    send(res, 404, { detail: 'Not Found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
