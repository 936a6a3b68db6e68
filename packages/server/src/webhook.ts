/**
 * Signed webhooks: `POST` of `{event, data, timestamp}` with
 * `X-Farebox-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` so the
 * receiver can check origin and freshness (reject old timestamps against replays).
 *
 * @module
 */
import { hmacSha256, toHex, utf8 } from '@farebox/core';

/** The signature header value for a body at time `t` (unix seconds). */
export function signWebhook(secret: string, body: string, t: number): string {
  return `t=${t},v1=${toHex(hmacSha256(utf8(secret), utf8(`${t}.${body}`)))}`;
}

/** Sends one webhook with a 5 s timeout; failures are the caller's to ignore. */
export async function sendWebhook(
  wh: { url: string; secret: string },
  event: string,
  data: unknown,
  nowMs: number,
): Promise<void> {
  const t = Math.floor(nowMs / 1000);
  const body = JSON.stringify({ event, data, timestamp: t }, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  await fetch(wh.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-farebox-signature': signWebhook(wh.secret, body, t) },
    body,
    signal: AbortSignal.timeout(5000),
  });
}
