// A paying client that dies right after paying, before retrying: used by the crash test.
// argv: <target url> <dev node url> <dev node token> <store path>

import { DevNodeClient } from '../../../lightning/dist/index.js';
import { L402Client } from '../../dist/index.js';
import { FileClientStore } from '../../dist/node/index.js';

const [url, nodeUrl, token, storePath] = process.argv.slice(2);
const client = new L402Client({
  wallet: new DevNodeClient({ url: nodeUrl, token }),
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
