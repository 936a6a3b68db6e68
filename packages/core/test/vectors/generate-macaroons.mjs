// Regenerates macaroons.json with the `macaroon` npm package (go-macaroon's JS port), an
// implementation independent of farebox. Run from the repo root:
//   node packages/core/test/vectors/generate-macaroons.mjs
// Deterministic: keys and ids come from a counter-seeded sha256 stream.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as macaroon from 'macaroon';

let counter = 0;
const bytes = (n) => {
  const out = Buffer.alloc(n);
  for (let o = 0; o < n; o += 32) {
    createHash('sha256').update(`farebox-vectors-${counter++}`).digest().copy(out, o);
  }
  return out;
};
const hex = (b) => Buffer.from(b).toString('hex');

const cases = [
  { name: 'text identifier, no caveats', identifier: Buffer.from('we used our secret key'), location: 'http://mybank/', caveats: [] },
  { name: 'text identifier, one caveat', identifier: Buffer.from('keyid'), location: 'loc', caveats: ['account = 3735928559'] },
  { name: 'no location, one caveat', identifier: Buffer.from('id'), location: '', caveats: ['time < 2030-01-01T00:00'] },
];
for (let k = 0; k < 8; k++) {
  const id = Buffer.concat([Buffer.from([0, 0]), bytes(32), bytes(32)]);
  const caveats = [`services=svc${k}:0`, `svc${k}_capabilities=read,write`, `svc${k}_valid_until=${1900000000 + k}`];
  for (let j = 0; j < k % 4; j++) caveats.push(`farebox_uses=${j + 1}`);
  cases.push({ name: `L402 identifier, ${caveats.length} caveats (${k})`, identifier: id, location: k % 2 ? 'lsat' : 'farebox', caveats });
}

const out = [];
for (const c of cases) {
  const rootKey = bytes(c.name.length % 2 ? 32 : 16);
  const m = macaroon.newMacaroon({ identifier: c.identifier, location: c.location, rootKey, version: 2 });
  for (const cav of c.caveats) m.addFirstPartyCaveat(cav);
  // exportBinary of the package is broken from 2 caveats on (memory blow-up): take binary
  // only where it works; the JSON form (with its signature) is always taken.
  const entry = {
    name: c.name,
    rootKey: hex(rootKey),
    identifier: hex(c.identifier),
    location: c.location,
    caveats: c.caveats,
    json: m.exportJSON(),
  };
  if (c.caveats.length <= 1) entry.v2 = hex(m.exportBinary());
  // The same macaroon as the package writes it in the V1 JSON form (text identifiers only:
  // V1 JSON carries the identifier as a string).
  if (c.identifier.every((b) => b >= 0x20 && b < 0x7f)) {
    const v1 = macaroon.newMacaroon({ identifier: c.identifier, location: c.location, rootKey, version: 1 });
    for (const cav of c.caveats) v1.addFirstPartyCaveat(cav);
    entry.jsonV1 = v1.exportJSON();
  }
  out.push(entry);
}
writeFileSync(new URL('./macaroons.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${out.length} cases`);
