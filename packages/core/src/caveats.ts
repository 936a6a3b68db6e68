/**
 * L402 caveats: `condition=value` predicates and the satisfiers that enforce them.
 *
 * The rule of the L402 spec (and Aperture's `VerifyCaveats`): every caveat must hold, and
 * when a condition repeats, each later caveat may only *narrow* the earlier one (a client
 * can attenuate its own token, never widen it). Conditions farebox knows:
 *
 * | condition | value | holds when |
 * |---|---|---|
 * | `services` | `name:tier,…` | the target service is listed |
 * | `<service>_capabilities` | `cap,…` | the asked capability is listed |
 * | `<service>_valid_until` | unix seconds | now is before it |
 * | `farebox_request` | base64url sha256 | the request matches the binding |
 * | `farebox_uses` | integer ≥ 1 | (a limit the usage store enforces) |
 * | `farebox_valid_until` | unix seconds | now is before it |
 * | `preimage` | hex | it equals the credential's preimage (lnget appends it) |
 *
 * Unknown conditions are skipped, as the spec says, unless `strict` is set.
 *
 * @module
 */
import { toHex } from './bytes.js';
import { ErrorCodes, FareboxError } from './errors.js';

/** A parsed caveat. */
export interface Caveat {
  condition: string;
  value: string;
}

/** Caveat conditions of farebox's own. */
export const CAVEAT_REQUEST = 'farebox_request';
export const CAVEAT_USES = 'farebox_uses';
export const CAVEAT_VALID_UNTIL = 'farebox_valid_until';
export const CAVEAT_SERVICES = 'services';
export const CAVEAT_PREIMAGE = 'preimage';
export const CAPABILITIES_SUFFIX = '_capabilities';
export const VALID_UNTIL_SUFFIX = '_valid_until';

/** Longest caveat accepted (bytes of text). */
export const MAX_CAVEAT_LENGTH = 4096;

/**
 * Parses `condition=value` (split on the first `=`, both sides trimmed, as Aperture does).
 *
 * @example
 * ```ts
 * import { parseCaveat } from '@farebox/core';
 * parseCaveat('services=music:0'); // { condition: 'services', value: 'music:0' }
 * ```
 */
export function parseCaveat(text: string): Caveat {
  if (text.length > MAX_CAVEAT_LENGTH) throw new FareboxError(ErrorCodes.TOO_LARGE, 'caveat too long');
  const eq = text.indexOf('=');
  if (eq < 0) {
    throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'caveat is not of the form condition=value', {
      data: { caveat: text.slice(0, 64) },
    });
  }
  const condition = text.slice(0, eq).trim();
  if (condition === '') throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'caveat with an empty condition');
  return { condition, value: text.slice(eq + 1).trim() };
}

/** `condition=value`. */
export function formatCaveat(c: Caveat): string {
  return `${c.condition}=${c.value}`;
}

/** One `name:tier` entry of a `services` caveat. */
export interface ServiceTier {
  name: string;
  tier: number;
}

/**
 * The value of `s` from `from` to its end when that is 1 to `max` ASCII digits (the regex
 * `^\d{1,max}$`), else -1. `max` is at most 15, so the value is exact.
 */
function digits(s: string, from: number, max: number): number {
  const len = s.length - from;
  if (len < 1 || len > max) return -1;
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Parses a `services` value (`name:tier,name2:tier`). */
export function parseServices(value: string): ServiceTier[] {
  const out: ServiceTier[] = [];
  // As `value.split(',')`, without the intermediate array.
  for (let start = 0; ; ) {
    const comma = value.indexOf(',', start);
    const s = (comma < 0 ? value.slice(start) : value.slice(start, comma)).trim();
    const colon = s.lastIndexOf(':');
    const name = colon < 0 ? s : s.slice(0, colon);
    const tier = colon < 0 ? 0 : digits(s, colon + 1, 9);
    if (name === '' || tier < 0) {
      throw new FareboxError(ErrorCodes.CAVEAT_FAILED, 'malformed services caveat', {
        data: { value: s.slice(0, 64) },
      });
    }
    out.push({ name, tier });
    if (comma < 0) return out;
    start = comma + 1;
  }
}

function parseUnixSeconds(c: Caveat): number {
  const n = digits(c.value, 0, 15);
  if (n < 0) {
    throw new FareboxError(ErrorCodes.CAVEAT_FAILED, `malformed ${c.condition} caveat`, {
      data: { condition: c.condition },
    });
  }
  return n;
}

/** The `farebox_uses` limit: `^[1-9]\d{0,9}$`, else -1. */
function parseUses(value: string): number {
  const first = value.charCodeAt(0);
  return first >= 49 /* 1 */ && first <= 57 /* 9 */ ? digits(value, 0, 10) : -1;
}

/** `value.split(',').map((s) => s.trim()).filter((s) => s !== '')`, without the intermediate arrays. */
function list(value: string): string[] {
  const out: string[] = [];
  for (let start = 0; ; ) {
    const comma = value.indexOf(',', start);
    const s = (comma < 0 ? value.slice(start) : value.slice(start, comma)).trim();
    if (s !== '') out.push(s);
    if (comma < 0) return out;
    start = comma + 1;
  }
}

function includes(list: readonly string[], s: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === s) return true;
  return false;
}

/** True when `cond` is `<service><suffix>` (as `cond.slice(0, -suffix.length) === service`). */
function isServiceCondition(cond: string, suffix: string, service: string | undefined): boolean {
  return service !== undefined && cond.length === service.length + suffix.length && cond.startsWith(service);
}

/** What the request being served asks of a token. */
export interface CaveatContext {
  /** The service the request is for (checks `services` and `<service>_*` caveats). */
  service?: string;
  /** A capability the route requires (checks `<service>_capabilities`). */
  capability?: string;
  /** Now, in unix seconds. */
  now: number;
  /** The request's binding hash (see `requestBinding`); required when the token is bound. */
  requestHash?: string;
  /** The credential's preimage, to check a `preimage=` caveat appended by a client. */
  preimage?: Uint8Array;
  /** Refuse caveats with unknown conditions. */
  strict?: boolean;
}

/** What a token's caveats grant, after they all held. */
export interface CaveatGrant {
  /** The services listed (undefined: no `services` caveat, any service). */
  services?: ServiceTier[];
  /** The capabilities for the target service (undefined: no restriction). */
  capabilities?: string[];
  /** The earliest expiry among the caveats (unix seconds). */
  validUntil?: number;
  /** The smallest use limit (undefined: unlimited). */
  maxUses?: number;
  /** The request binding, when the token is bound to one request. */
  requestHash?: string;
}

/**
 * A satisfier for caveats farebox does not know (e.g. an application's own).
 * `previous` checks that `cur` narrows `prev`; `final` checks that `cur` holds.
 */
export interface Satisfier {
  condition: string;
  previous?(prev: Caveat, cur: Caveat): boolean;
  final(cur: Caveat, ctx: CaveatContext): boolean;
}

function failed(
  message: string,
  c: Caveat,
  code: (typeof ErrorCodes)[keyof typeof ErrorCodes] = ErrorCodes.CAVEAT_FAILED,
): FareboxError {
  return new FareboxError(code, message, { data: { condition: c.condition } });
}

function widened(c: Caveat): FareboxError {
  return failed(`caveat ${c.condition} widens an earlier one`, c, ErrorCodes.CAVEAT_WIDENED);
}

/**
 * Checks every caveat against the context and the narrowing rule; returns what they grant.
 * Throws L402_CAVEAT_FAILED, L402_EXPIRED, L402_WRONG_SERVICE, L402_REQUEST_MISMATCH,
 * L402_CAVEAT_WIDENED or L402_UNKNOWN_CAVEAT.
 *
 * @example
 * ```ts
 * import { checkCaveats } from '@farebox/core';
 * checkCaveats([{ condition: 'services', value: 'music:0' }], { service: 'music', now: Date.now() / 1000 });
 * ```
 */
export function checkCaveats(
  caveats: readonly Caveat[],
  ctx: CaveatContext,
  satisfiers: readonly Satisfier[] = [],
): CaveatGrant {
  const grant: CaveatGrant = {};
  // The last caveat seen for each condition: a short list searched from the end (tokens
  // carry a handful of caveats), a Map once the list grows.
  const seenList: Caveat[] = [];
  let seenMap: Map<string, Caveat> | undefined;
  for (const c of caveats) {
    let prev: Caveat | undefined;
    if (seenMap === undefined) {
      for (let j = seenList.length - 1; j >= 0; j--) {
        if (seenList[j]!.condition === c.condition) {
          prev = seenList[j];
          break;
        }
      }
      seenList.push(c);
      if (seenList.length > 16) {
        seenMap = new Map();
        for (const s of seenList) seenMap.set(s.condition, s);
      }
    } else {
      prev = seenMap.get(c.condition);
      seenMap.set(c.condition, c);
    }
    const cond = c.condition;
    if (cond === CAVEAT_SERVICES) {
      const svcs = parseServices(c.value);
      if (prev) {
        const before = parseServices(prev.value);
        for (const s of svcs) {
          let listed = false;
          for (const b of before) {
            if (b.name === s.name && b.tier === s.tier) {
              listed = true;
              break;
            }
          }
          if (!listed) throw widened(c);
        }
      }
      if (ctx.service !== undefined) {
        let found = false;
        for (const s of svcs) {
          if (s.name === ctx.service) {
            found = true;
            break;
          }
        }
        if (!found) {
          throw failed(`token is not valid for service ${ctx.service}`, c, ErrorCodes.WRONG_SERVICE);
        }
      }
      grant.services = svcs;
    } else if (cond.endsWith(CAPABILITIES_SUFFIX) && cond.length > CAPABILITIES_SUFFIX.length) {
      const caps = list(c.value);
      if (prev) {
        const before = list(prev.value);
        for (const x of caps) if (!includes(before, x)) throw widened(c);
      }
      if (isServiceCondition(cond, CAPABILITIES_SUFFIX, ctx.service)) {
        if (ctx.capability !== undefined && !includes(caps, ctx.capability)) {
          throw failed(`token lacks capability ${ctx.capability}`, c);
        }
        grant.capabilities = caps;
      }
    } else if (
      cond === CAVEAT_VALID_UNTIL ||
      (cond.endsWith(VALID_UNTIL_SUFFIX) && cond.length > VALID_UNTIL_SUFFIX.length)
    ) {
      const until = parseUnixSeconds(c);
      if (prev && until > parseUnixSeconds(prev)) throw widened(c);
      const applies =
        cond === CAVEAT_VALID_UNTIL || isServiceCondition(cond, VALID_UNTIL_SUFFIX, ctx.service);
      if (applies) {
        if (ctx.now >= until) throw failed('token expired', c, ErrorCodes.EXPIRED);
        grant.validUntil = grant.validUntil === undefined ? until : Math.min(grant.validUntil, until);
      }
    } else if (cond === CAVEAT_REQUEST) {
      if (prev && prev.value !== c.value) throw widened(c);
      if (ctx.requestHash === undefined) throw failed('token is bound to a request that was not given', c);
      if (ctx.requestHash !== c.value) {
        throw failed('token was issued for another request', c, ErrorCodes.REQUEST_MISMATCH);
      }
      grant.requestHash = c.value;
    } else if (cond === CAVEAT_USES) {
      const n = parseUses(c.value);
      if (n < 0) throw failed('malformed farebox_uses caveat', c);
      if (prev && n > Number(prev.value)) throw widened(c);
      grant.maxUses = grant.maxUses === undefined ? n : Math.min(grant.maxUses, n);
    } else if (cond === CAVEAT_PREIMAGE) {
      if (prev && prev.value.toLowerCase() !== c.value.toLowerCase()) throw widened(c);
      if (ctx.preimage !== undefined && toHex(ctx.preimage) !== c.value.toLowerCase()) {
        throw failed('preimage caveat does not match the credential', c);
      }
    } else {
      let custom: Satisfier | undefined;
      for (const s of satisfiers) {
        if (s.condition === cond) {
          custom = s;
          break;
        }
      }
      if (custom) {
        if (prev && custom.previous && !custom.previous(prev, c)) throw widened(c);
        if (!custom.final(c, ctx)) throw failed(`caveat ${cond} not satisfied`, c);
      } else if (ctx.strict) {
        throw failed(`unknown caveat ${cond}`, c, ErrorCodes.UNKNOWN_CAVEAT);
      }
    }
  }
  return grant;
}
