// Role and ICE-lite policy (RFC 8445 §2.5, §6.1.1, §7.2.5.1, §7.3.1.1) in one place: pure functions of
// the agent's mode, role and tie-breakers. The agent asks, then acts.

/** The agent's role (RFC 8445 §6.1.1): the controlling agent nominates pairs. */
export type IceRole = 'controlling' | 'controlled';

/** The other role. */
export function otherRole(role: IceRole): IceRole {
  return role === 'controlling' ? 'controlled' : 'controlling';
}

/** What a full or an ICE-lite agent does (RFC 8445 §2.5). */
export interface AgentMode {
  /** ICE-lite (RFC 8445 §2.5). */
  readonly lite: boolean;
  /** Sends connectivity checks (paced by Ta): a full agent only; a lite agent only answers. */
  readonly sendsChecks: boolean;
  /** Sends consent checks and judges consent (RFC 7675 §5.1); a lite agent sends no check at all (RFC 8445 §2.5), it only answers. */
  readonly runsConsent: boolean;
  /**
   * A pair is valid once the peer's check on it was answered (RFC 8445 §2.5: the lite agent has
   * no checks of its own), not after a check of ours.
   */
  readonly validatesOnRequest: boolean;
  /** Resolves role conflicts by tie-breaker (RFC 8445 §7.3.1.1); a lite agent stays controlled. */
  readonly resolvesRoleConflicts: boolean;
  /** May change role on command (`setRole`) or for a lite peer; a lite agent is always controlled. */
  readonly mayChangeRole: boolean;
}

/** The policy of a full (lite false) or lite agent. */
export function agentMode(lite: boolean): AgentMode {
  return {
    lite,
    sendsChecks: !lite,
    runsConsent: !lite,
    validatesOnRequest: lite,
    resolvesRoleConflicts: !lite,
    mayChangeRole: !lite,
  };
}

/** RFC 8445 §6.1.1: a lite agent is always controlled; a full one takes the requested role (default controlling). */
export function initialRole(mode: AgentMode, requested: IceRole | undefined): IceRole {
  return mode.lite ? 'controlled' : (requested ?? 'controlling');
}

/** Whether the agent nominates now: the controlling full agent (RFC 8445 §8.1). */
export function nominates(mode: AgentMode, role: IceRole): boolean {
  return mode.sendsChecks && role === 'controlling';
}

/**
 * The role to switch to when the peer's credentials arrive, or undefined to keep ours. RFC 8445
 * §6.1.1: with a lite peer, the full agent MUST take the controlling role.
 */
export function roleForPeer(mode: AgentMode, role: IceRole, remoteLite: boolean): IceRole | undefined {
  return remoteLite && mode.mayChangeRole && role !== 'controlling' ? 'controlling' : undefined;
}

/** The role `setRole(requested)` switches to, or undefined when nothing changes (a lite agent ignores it). */
export function roleOnCommand(mode: AgentMode, role: IceRole, requested: IceRole): IceRole | undefined {
  return mode.mayChangeRole && requested !== role ? requested : undefined;
}

/** What to do about a connectivity check whose role attribute may conflict with ours. */
export type RoleConflictDecision =
  /** No conflict, or resolved in the peer's favour: answer the check. */
  | { readonly action: 'answer'; readonly switchTo?: IceRole }
  /** We keep our role: answer 487 (Role Conflict) instead. */
  | { readonly action: 'reject' };

/**
 * RFC 8445 §7.3.1.1, a Binding request received. Both controlling: the larger tie-breaker keeps
 * controlling (ours >= theirs: we answer 487; else we switch to controlled). Both controlled: the
 * larger tie-breaker takes controlling (ours >= theirs: we switch to controlling; else 487). A lite
 * agent never resolves conflicts.
 */
export function resolveRoleConflict(input: {
  readonly mode: AgentMode;
  readonly role: IceRole;
  readonly tieBreaker: bigint;
  /** The request's ICE-CONTROLLING tie-breaker, if present. */
  readonly theirControlling: bigint | undefined;
  /** The request's ICE-CONTROLLED tie-breaker, if present. */
  readonly theirControlled: bigint | undefined;
}): RoleConflictDecision {
  const { mode, role, tieBreaker, theirControlling, theirControlled } = input;
  if (!mode.resolvesRoleConflicts) return { action: 'answer' };
  if (role === 'controlling' && theirControlling !== undefined)
    return tieBreaker >= theirControlling
      ? { action: 'reject' }
      : { action: 'answer', switchTo: 'controlled' };
  if (role === 'controlled' && theirControlled !== undefined)
    return tieBreaker >= theirControlled
      ? { action: 'answer', switchTo: 'controlling' }
      : { action: 'reject' };
  return { action: 'answer' };
}

/**
 * RFC 8445 §7.2.5.1: a 487 (Role Conflict) answer to our check. The agent switches role if the
 * request carried the role it still has (a switch since then already resolved it); the check is then
 * retried. Returns the role to switch to, or undefined.
 */
export function roleAfterConflictResponse(requestRole: IceRole, role: IceRole): IceRole | undefined {
  return requestRole === role ? otherRole(role) : undefined;
}
