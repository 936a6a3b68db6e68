import {
  constantTimeEqual,
  decodeIdentifier,
  FareboxError,
  fromUtf8,
  identifierToJSON,
  type L402Identifier,
  type Macaroon,
  parseChallenges,
  parseCredential,
  parseMacaroon,
  sha256,
  toHex,
} from '@farebox/core';
import { Exit, type Io, printJson, readArg } from '../io.js';

export const tokenDecodeHelp = `Usage: farebox token decode <token|header|-> [--json]

Decodes an L402 token: a base64/hex/JSON macaroon, an Authorization value
("L402 <macaroon>:<preimage>") or a WWW-Authenticate challenge
("L402 macaroon=\\"…\\", invoice=\\"…\\""). Prints the identifier (version,
payment hash, token id), location and caveats. Verifies nothing but the
preimage against the payment hash: the signature needs the server's secret.

Options:
  --json   machine-readable output
`;

interface Decoded {
  location: string;
  identifier: ReturnType<typeof identifierToJSON> | { raw: string; error: string };
  caveats: string[];
  preimageMatches?: boolean;
  invoice?: string;
  scheme?: string;
}

function describe(m: Macaroon): Decoded {
  let identifier: Decoded['identifier'];
  let id: L402Identifier | undefined;
  try {
    id = decodeIdentifier(m.identifier);
    identifier = identifierToJSON(id);
  } catch (e) {
    identifier = { raw: toHex(m.identifier), error: e instanceof FareboxError ? e.code : String(e) };
  }
  const caveats = m.caveats.map((c) => {
    try {
      return fromUtf8(c.id);
    } catch {
      return `0x${toHex(c.id)}`;
    }
  });
  return { location: m.location, identifier, caveats };
}

/** Parses the input as a credential, a challenge, or a bare macaroon, in that order. */
function decodeInput(text: string): Decoded[] {
  const challenges =
    /^\s*(l402|lsat)\s/i.test(text) && /invoice\s*=/i.test(text) ? parseChallenges(text) : [];
  if (challenges.length > 0) {
    return challenges.map((c) => ({
      ...describe(parseMacaroon(c.macaroon)),
      invoice: c.invoice,
      scheme: c.scheme,
    }));
  }
  const cred = parseCredential(text);
  if (cred?.kind === 'token') {
    return cred.macaroons.map((m, i) => {
      const d = describe(m);
      d.scheme = cred.scheme;
      if (i === 0) {
        try {
          d.preimageMatches = constantTimeEqual(
            sha256(cred.preimage),
            decodeIdentifier(m.identifier).paymentHash,
          );
        } catch {
          d.preimageMatches = false;
        }
      }
      return d;
    });
  }
  if (cred?.kind === 'payment-hash') {
    throw new FareboxError('L402_MALFORMED_HEADER', 'this credential is a bare payment hash, not a token');
  }
  return [describe(parseMacaroon(text))];
}

export async function tokenDecode(args: string[], flags: { json: boolean }, io: Io): Promise<number> {
  const [input] = args;
  if (input === undefined) {
    io.stderr(tokenDecodeHelp);
    return Exit.USAGE;
  }
  const decoded = decodeInput(await readArg(io, input));
  if (flags.json) {
    printJson(io, decoded.length === 1 ? decoded[0] : decoded);
    return Exit.OK;
  }
  for (const d of decoded) {
    const lines: string[] = [];
    if (d.scheme) lines.push(`scheme:        ${d.scheme}`);
    if ('error' in d.identifier) {
      lines.push(`identifier:    ${d.identifier.raw} (not an L402 identifier: ${d.identifier.error})`);
    } else {
      lines.push(`version:       ${d.identifier.version}`);
      lines.push(`payment hash:  ${d.identifier.paymentHash}`);
      lines.push(`token id:      ${d.identifier.tokenId}`);
    }
    lines.push(`location:      ${d.location || '(none)'}`);
    lines.push(`caveats:       ${d.caveats.length === 0 ? '(none)' : d.caveats[0]}`);
    for (const c of d.caveats.slice(1)) lines.push(`               ${c}`);
    if (d.preimageMatches !== undefined) {
      lines.push(
        `preimage:      ${d.preimageMatches ? 'matches the payment hash' : 'DOES NOT match the payment hash'}`,
      );
    }
    if (d.invoice) lines.push(`invoice:       ${d.invoice}`);
    io.stdout(`${lines.join('\n')}\n`);
  }
  return Exit.OK;
}
