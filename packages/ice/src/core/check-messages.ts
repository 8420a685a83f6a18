// The STUN messages of connectivity checks: building Binding requests and their answers, and
// authenticating what arrives (RFC 8445 §7.1, §7.2.5.1, §7.3).
import {
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  shortTermKey,
  type TransportAddress,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '@p2pcat/stun/core';

/** The contents of one connectivity check request. */
export interface CheckRequestParams {
  /** 12 random bytes (RFC 8489 §5). */
  transactionId: Uint8Array;
  /** RFC 8445 §7.2.2: "RFRAG:LFRAG" — the remote ufrag first. */
  username: string;
  /** RFC 8445 §7.1.1: priority the candidate would have as peer-reflexive. */
  priority: number;
  /** Sent as the controlling agent (ICE-CONTROLLING) or the controlled one (ICE-CONTROLLED). */
  controlling: boolean;
  /** RFC 8445 §7.1.3: our tie-breaker. */
  tieBreaker: bigint;
  /** Nominates (RFC 8445 §7.1.2); only sent by the controlling agent. */
  useCandidate: boolean;
  /** Remote password (the key of short-term credentials). */
  remotePwd: string;
}

/** RFC 8445 §7.2.2: a connectivity check request, signed and fingerprinted. */
export function buildCheckRequest(p: CheckRequestParams): Uint8Array {
  const b = new StunMessageBuilder('request', StunMethod.Binding, p.transactionId)
    .add('USERNAME', p.username)
    .add('PRIORITY', p.priority);
  // RFC 8445 §7.1.3: the controlling agent sends ICE-CONTROLLING, the controlled ICE-CONTROLLED.
  if (p.controlling) b.add('ICE_CONTROLLING', p.tieBreaker);
  else b.add('ICE_CONTROLLED', p.tieBreaker);
  if (p.controlling && p.useCandidate) b.add('USE_CANDIDATE', true);
  // RFC 8445 §7.2.2: MESSAGE-INTEGRITY with the short-term credential and FINGERPRINT.
  return b.build({ integrityKey: shortTermKey(p.remotePwd), fingerprint: true });
}

/** RFC 8445 §7.3.1.2: success response with XOR-MAPPED-ADDRESS of the source, signed with our password. */
export function buildCheckSuccess(
  transactionId: Uint8Array,
  source: TransportAddress,
  localPwd: string,
): Uint8Array {
  return new StunMessageBuilder('success', StunMethod.Binding, transactionId)
    .add('XOR_MAPPED_ADDRESS', source)
    .build({ integrityKey: shortTermKey(localPwd), fingerprint: true });
}

/** RFC 8445 §7.3.1.1: 487 (Role Conflict), signed. */
export function buildRoleConflict(transactionId: Uint8Array, localPwd: string): Uint8Array {
  return new StunMessageBuilder('error', StunMethod.Binding, transactionId)
    .add('ERROR_CODE', { code: 487, reason: 'Role Conflict' })
    .build({ integrityKey: shortTermKey(localPwd), fingerprint: true });
}

/** MESSAGE-INTEGRITY with the password, and FINGERPRINT right when present (RFC 8445 §7.2.5.1 / §7.3). */
export function authentic(message: StunMessage, pwd: string): boolean {
  if (message.has('FINGERPRINT') && !verifyFingerprint(message)) return false;
  return verifyMessageIntegrity(message, shortTermKey(pwd));
}
