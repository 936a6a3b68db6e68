/**
 * Prometheus metrics, hand-written text exposition (no dependency): what a seller wants to
 * see — challenges issued, payments verified, sats earned per service, requests served and
 * refused by reason, upstream latency, backend health. Aperture has no revenue metrics.
 *
 * @module
 */

type Labels = Record<string, string>;

function renderKey(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}="${l[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

/** Label sets seen (names and values as given) → their rendered key; bounded. */
const keys = new Map<string, string>();
const MAX_KEYS = 10_000;

/** The rendered label key, sorted and escaped once per distinct label set. */
function key(l: Labels): string {
  let raw = '';
  // Length-prefixed, so no two label sets share a raw key whatever their characters.
  for (const k in l) raw += `${k.length}:${k}${l[k]!.length}:${l[k]}`;
  if (raw === '') return '';
  let k = keys.get(raw);
  if (k === undefined) {
    k = renderKey(l);
    if (keys.size < MAX_KEYS) keys.set(raw, k);
  }
  return k;
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(l: Labels = {}, by = 1): void {
    const k = key(l);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Gauge extends Counter {
  set(l: Labels, v: number): void {
    this.values.set(key(l), v);
  }
  override render(): string {
    return super.render().replace(`# TYPE ${this.name} counter`, `# TYPE ${this.name} gauge`);
  }
}

class Histogram {
  readonly data = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: number[],
  ) {}
  observe(l: Labels, v: number): void {
    const k = key(l);
    let d = this.data.get(k);
    if (!d) {
      d = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.data.set(k, d);
    }
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) d.buckets[i]!++;
    d.sum += v;
    d.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, d] of this.data) {
      const sep = k ? `${k},` : '';
      for (let i = 0; i < this.bounds.length; i++) {
        lines.push(`${this.name}_bucket{${sep}le="${this.bounds[i]}"} ${d.buckets[i]}`);
      }
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${d.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${d.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${d.count}`);
    }
    return lines.join('\n');
  }
}

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly challenges = new Counter('farebox_challenges_total', 'L402 challenges (invoices) issued');
  readonly payments = new Counter('farebox_payments_verified_total', 'Paid tokens verified and admitted');
  readonly satsEarned = new Counter('farebox_sats_earned_total', 'Sats earned by served paid requests');
  readonly requests = new Counter('farebox_requests_total', 'Requests by service and outcome');
  readonly refused = new Counter('farebox_refused_total', 'Requests refused, by reason (error code)');
  readonly upstreamLatency = new Histogram(
    'farebox_upstream_latency_seconds',
    'Upstream response time (headers)',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  readonly backendUp = new Gauge('farebox_backend_up', 'Lightning backend reachable (1) or not (0)');
  readonly inFlight = new Gauge('farebox_requests_in_flight', 'Requests being proxied now');

  render(): string {
    return `${[
      this.challenges,
      this.payments,
      this.satsEarned,
      this.requests,
      this.refused,
      this.upstreamLatency,
      this.backendUp,
      this.inFlight,
    ]
      .map((m) => m.render())
      .join('\n')}\n`;
  }
}
