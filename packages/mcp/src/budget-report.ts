/**
 * The budget as the agent sees it, and the agent's one way to change it: lowering limits for
 * the session when the operator allowed it. Nothing here can raise a limit.
 *
 * @module
 */
import type { BudgetLimits, BudgetRemaining } from '@farebox/client';
import type { BudgetInput, BudgetOutput } from './schemas.js';

/** What a lowering request did. */
export interface LimitChange {
  asked: boolean;
  allowed: boolean;
  changed: string[];
  rejected: { field: string; reason: string }[];
  approveAboveSats: number | undefined;
}

const KEYS = {
  per_call_sats: 'perRequestSats',
  per_hour_sats: 'perHourSats',
  per_day_sats: 'perDaySats',
  total_sats: 'totalSats',
  per_host_sats: 'perHostSats',
} as const;

/**
 * Lowers `limits` in place (and the approval threshold) where asked and allowed; a value
 * above the current limit is rejected, never applied.
 *
 * @example
 * ```ts
 * import { lowerLimits } from '@farebox/mcp';
 * const limits = { perDaySats: 1000 };
 * lowerLimits(limits, undefined, { per_day_sats: 100 }, { allowed: true }); // limits.perDaySats === 100
 * ```
 */
export function lowerLimits(
  limits: BudgetLimits,
  approveAboveSats: number | undefined,
  lower: BudgetInput['lower_to'],
  o: { allowed: boolean },
): LimitChange {
  const out: LimitChange = { asked: false, allowed: o.allowed, changed: [], rejected: [], approveAboveSats };
  const asked = Object.entries(lower ?? {}).filter(([, v]) => v !== undefined) as [
    keyof NonNullable<BudgetInput['lower_to']>,
    number,
  ][];
  out.asked = asked.length > 0;
  if (!out.asked || !o.allowed) return out;
  for (const [field, value] of asked) {
    const current = field === 'approve_above_sats' ? out.approveAboveSats : limits[KEYS[field]];
    if (current !== undefined && value > current) {
      out.rejected.push({
        field,
        reason: `${value} is above the current ${current}: limits can only be lowered`,
      });
      continue;
    }
    if (field === 'approve_above_sats') out.approveAboveSats = value;
    else limits[KEYS[field]] = value;
    out.changed.push(field);
  }
  return out;
}

/** The `l402_budget` answer. */
export function budgetReport(
  l: BudgetLimits,
  rem: BudgetRemaining,
  o: { approveAboveSats: number | undefined; agentMayLower: boolean; change: LimitChange },
): BudgetOutput {
  const { change } = o;
  let outcome: BudgetOutput['outcome'] = 'ok';
  let message = '';
  if (change.asked && !change.allowed) {
    outcome = 'refused';
    message = 'Refused: the operator did not allow the agent to change the budget (allowAgentLowerBudget).';
  } else if (change.asked) {
    if (change.rejected.length) outcome = 'refused';
    message = [
      change.changed.length ? `Lowered ${change.changed.join(', ')} for this session.` : '',
      change.rejected.length
        ? `Refused: ${change.rejected.map((r) => `${r.field} (${r.reason})`).join('; ')}.`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
  const limits: BudgetOutput['limits'] = {};
  if (l.perRequestSats !== undefined) limits.per_call_sats = l.perRequestSats;
  if (l.perHourSats !== undefined) limits.per_hour_sats = l.perHourSats;
  if (l.perDaySats !== undefined) limits.per_day_sats = l.perDaySats;
  if (l.totalSats !== undefined) limits.total_sats = l.totalSats;
  if (l.perHostSats !== undefined) limits.per_host_sats = l.perHostSats;
  if (o.approveAboveSats !== undefined) limits.approve_above_sats = o.approveAboveSats;
  if (l.allowHosts) limits.allow_hosts = [...l.allowHosts];
  if (l.denyHosts) limits.deny_hosts = [...l.denyHosts];
  const remaining: BudgetOutput['remaining'] = {};
  if (rem.perRequestSats !== undefined) remaining.per_call_sats = rem.perRequestSats;
  if (rem.hourSats !== undefined) remaining.hour_sats = rem.hourSats;
  if (rem.daySats !== undefined) remaining.day_sats = rem.daySats;
  if (rem.totalSats !== undefined) remaining.total_sats = rem.totalSats;
  if (rem.hostSats) remaining.per_host = Object.entries(rem.hostSats).map(([host, sats]) => ({ host, sats }));
  const left = [
    remaining.day_sats !== undefined ? `${remaining.day_sats} sats left today` : '',
    remaining.total_sats !== undefined ? `${remaining.total_sats} sats left in total` : '',
    remaining.per_call_sats !== undefined ? `at most ${remaining.per_call_sats} sats per call` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const out: BudgetOutput = {
    outcome,
    message: [message, left ? `${left[0]!.toUpperCase()}${left.slice(1)}.` : 'No limits.']
      .filter(Boolean)
      .join(' '),
    limits,
    remaining,
    spent: { hour_sats: rem.spentHourSats, day_sats: rem.spentDaySats, total_sats: rem.spentTotalSats },
    agent_may_lower: o.agentMayLower,
  };
  if (change.changed.length) out.changed = change.changed;
  if (change.rejected.length) out.rejected = change.rejected;
  return out;
}
