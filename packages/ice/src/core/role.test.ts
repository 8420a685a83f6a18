import { describe, expect, it } from 'vitest';
import {
  agentMode,
  initialRole,
  nominates,
  otherRole,
  resolveRoleConflict,
  roleAfterConflictResponse,
  roleForPeer,
  roleOnCommand,
} from './role.js';

const full = agentMode(false);
const lite = agentMode(true);

describe('agent mode', () => {
  it.each([
    // [section, mode, what it does]
    [
      'RFC 8445 §2.5: a full agent checks, runs consent, resolves conflicts',
      full,
      {
        sendsChecks: true,
        runsConsent: true,
        validatesOnRequest: false,
        resolvesRoleConflicts: true,
        mayChangeRole: true,
      },
    ],
    [
      'RFC 8445 §2.5: a lite agent only answers; a pair is valid once checked by the peer',
      lite,
      {
        sendsChecks: false,
        runsConsent: false,
        validatesOnRequest: true,
        resolvesRoleConflicts: false,
        mayChangeRole: false,
      },
    ],
  ] as const)('%s', (_s, mode, expected) => {
    expect(mode).toMatchObject(expected);
  });

  it.each([
    // [section, mode, requested, role]
    ['RFC 8445 §6.1.1: full agent, default', full, undefined, 'controlling'],
    ['RFC 8445 §6.1.1: full agent, as asked', full, 'controlled', 'controlled'],
    ['RFC 8445 §6.1.1: a lite agent is always controlled', lite, 'controlling', 'controlled'],
  ] as const)('initialRole: %s', (_s, mode, requested, role) => {
    expect(initialRole(mode, requested)).toBe(role);
  });

  it.each([
    ['RFC 8445 §8.1: the controlling full agent nominates', full, 'controlling', true],
    ['RFC 8445 §8.1: the controlled agent does not', full, 'controlled', false],
    ['RFC 8445 §2.5: a lite agent sends no checks, so never nominates', lite, 'controlling', false],
  ] as const)('nominates: %s', (_s, mode, role, expected) => {
    expect(nominates(mode, role)).toBe(expected);
  });

  it.each([
    // [section, mode, role, remote lite, switch to]
    [
      'RFC 8445 §6.1.1: with a lite peer the full agent MUST be controlling',
      full,
      'controlled',
      true,
      'controlling',
    ],
    ['RFC 8445 §6.1.1: already controlling', full, 'controlling', true, undefined],
    ['RFC 8445 §6.1.1: full peer: the role stays', full, 'controlled', false, undefined],
    ['RFC 8445 §6.1.1: a lite agent stays controlled', lite, 'controlled', true, undefined],
  ] as const)('roleForPeer: %s', (_s, mode, role, remoteLite, expected) => {
    expect(roleForPeer(mode, role, remoteLite)).toBe(expected);
  });

  it.each([
    [
      'RFC 8445 §6.1.1: a full agent takes the role it is given',
      full,
      'controlling',
      'controlled',
      'controlled',
    ],
    ['RFC 8445 §6.1.1: same role, nothing to do', full, 'controlling', 'controlling', undefined],
    ['RFC 8445 §6.1.1: a lite agent is always controlled', lite, 'controlled', 'controlling', undefined],
  ] as const)('roleOnCommand: %s', (_s, mode, role, requested, expected) => {
    expect(roleOnCommand(mode, role, requested)).toBe(expected);
  });
});

describe('role conflicts', () => {
  it.each([
    // [section, mode, our role, our tie-breaker, their ICE-CONTROLLING, their ICE-CONTROLLED, decision]
    [
      'RFC 8445 §7.3.1.1: both controlling, ours larger: 487',
      full,
      'controlling',
      9n,
      5n,
      undefined,
      { action: 'reject' },
    ],
    [
      'RFC 8445 §7.3.1.1: both controlling, ours equal: 487',
      full,
      'controlling',
      5n,
      5n,
      undefined,
      { action: 'reject' },
    ],
    [
      'RFC 8445 §7.3.1.1: both controlling, theirs larger: we become controlled',
      full,
      'controlling',
      5n,
      9n,
      undefined,
      { action: 'answer', switchTo: 'controlled' },
    ],
    [
      'RFC 8445 §7.3.1.1: both controlled, ours larger: we become controlling',
      full,
      'controlled',
      9n,
      undefined,
      5n,
      { action: 'answer', switchTo: 'controlling' },
    ],
    [
      'RFC 8445 §7.3.1.1: both controlled, ours equal: we become controlling',
      full,
      'controlled',
      5n,
      undefined,
      5n,
      { action: 'answer', switchTo: 'controlling' },
    ],
    [
      'RFC 8445 §7.3.1.1: both controlled, theirs larger: 487',
      full,
      'controlled',
      5n,
      undefined,
      9n,
      { action: 'reject' },
    ],
    [
      'RFC 8445 §7.3.1.1: no conflict (controlling vs controlled)',
      full,
      'controlling',
      5n,
      undefined,
      9n,
      { action: 'answer' },
    ],
    [
      'RFC 8445 §7.3.1.1: no conflict (controlled vs controlling)',
      full,
      'controlled',
      5n,
      9n,
      undefined,
      { action: 'answer' },
    ],
    [
      'RFC 8445 §2.5: a lite agent does not resolve conflicts',
      lite,
      'controlled',
      5n,
      undefined,
      9n,
      { action: 'answer' },
    ],
  ] as const)(
    'resolveRoleConflict: %s',
    (_s, mode, role, tieBreaker, theirControlling, theirControlled, expected) => {
      expect(resolveRoleConflict({ mode, role, tieBreaker, theirControlling, theirControlled })).toEqual(
        expected,
      );
    },
  );

  it.each([
    // [section, role the request carried, role now, switch to]
    [
      'RFC 8445 §7.2.5.1: 487 to a request sent as controlling: switch',
      'controlling',
      'controlling',
      'controlled',
    ],
    [
      'RFC 8445 §7.2.5.1: 487 to a request sent as controlled: switch',
      'controlled',
      'controlled',
      'controlling',
    ],
    [
      'RFC 8445 §7.2.5.1: the role already changed since the request: keep it',
      'controlling',
      'controlled',
      undefined,
    ],
  ] as const)('roleAfterConflictResponse: %s', (_s, requestRole, role, expected) => {
    expect(roleAfterConflictResponse(requestRole, role)).toBe(expected);
  });

  it('otherRole', () => {
    expect(otherRole('controlling')).toBe('controlled');
    expect(otherRole('controlled')).toBe('controlling');
  });
});
