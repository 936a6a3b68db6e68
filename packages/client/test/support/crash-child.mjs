// A paying client that dies mid-call: used by the crash tests.
// argv: <target url> <dev node url> <dev node token> <store path> [when]
//   when = after-pay (default): the payment is recorded, the process dies before the retry;
//          during-pay: the wallet has paid, the process dies before the client learns the preimage.

import { DevNodeClient } from '../../../lightning/dist/index.js';
import { L402Client } from '../../dist/index.js';
import { FileClientStore } from '../../dist/node/index.js';

const [url, nodeUrl, token, storePath, when = 'after-pay'] = process.argv.slice(2);
const remote = new DevNodeClient({ url: nodeUrl, token });
const wallet =
  when === 'during-pay'
    ? {
        backend: remote.backend,
        getBalance: (o) => remote.getBalance(o),
        payInvoice: async (invoice, o) => {
          await remote.payInvoice(invoice, o);
          process.stdout.write('paid; dying before the client sees the preimage\n');
          process.kill(process.pid, 'SIGKILL');
          await new Promise(() => {});
        },
      }
    : remote;
const client = new L402Client({
  wallet,
  store: new FileClientStore(storePath),
  fetch: async (input, init) => {
    const req = new Request(input, init);
    if (req.headers.get('authorization')) {
      process.stdout.write('paid; dying before the retry\n');
      process.kill(process.pid, 'SIGKILL');
    }
    return fetch(req);
  },
});
await client.fetch(url);
