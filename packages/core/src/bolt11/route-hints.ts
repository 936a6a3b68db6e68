/**
 * The `r` field (BOLT #11 "Tagged Fields"): one or more 51-byte hops, each
 * `pubkey (33) ‖ short_channel_id (8) ‖ fee_base_msat (u32) ‖ fee_proportional_millionths (u32) ‖
 * cltv_expiry_delta (u16)`, big-endian.
 *
 * @module
 */
import { toHex } from '../bytes.js';
import type { RouteHint } from './types.js';

/** Bytes per hop. */
export const HOP_BYTES = 51;

/** Most hops that fit one field (1023 words hold 639 bytes). */
export const MAX_HOPS = Math.floor(639 / HOP_BYTES);

function u32(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Decodes a route from `bytes`, whose length the caller checked is a positive multiple of 51. */
export function parseRouteHint(bytes: Uint8Array): RouteHint {
  const hops: RouteHint = [];
  for (let o = 0; o + HOP_BYTES <= bytes.length; o += HOP_BYTES) {
    const block = (bytes[o + 33]! << 16) | (bytes[o + 34]! << 8) | bytes[o + 35]!;
    const tx = (bytes[o + 36]! << 16) | (bytes[o + 37]! << 8) | bytes[o + 38]!;
    const output = (bytes[o + 39]! << 8) | bytes[o + 40]!;
    hops.push({
      pubkey: toHex(bytes.subarray(o, o + 33)),
      shortChannelId: `${block}x${tx}x${output}`,
      feeBaseMsat: u32(bytes, o + 41),
      feeProportionalMillionths: u32(bytes, o + 45),
      cltvExpiryDelta: (bytes[o + 49]! << 8) | bytes[o + 50]!,
    });
  }
  return hops;
}

const SCID = /^(\d{1,8})x(\d{1,8})x(\d{1,5})$/;

/**
 * The 8 bytes of a short channel id given as `block x tx x output` or as its u64 value;
 * `undefined` when malformed or out of range (3, 3 and 2 bytes).
 */
export function shortChannelIdBytes(scid: string | bigint): Uint8Array | undefined {
  let value: bigint;
  if (typeof scid === 'bigint') {
    if (scid < 0n || scid > 0xffff_ffff_ffff_ffffn) return undefined;
    value = scid;
  } else if (typeof scid === 'string') {
    const m = SCID.exec(scid);
    if (m === null) return undefined;
    const block = Number(m[1]);
    const tx = Number(m[2]);
    const output = Number(m[3]);
    if (block > 0xffffff || tx > 0xffffff || output > 0xffff) return undefined;
    value = (BigInt(block) << 40n) | (BigInt(tx) << 16n) | BigInt(output);
  } else {
    return undefined;
  }
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
