// The client side of the STUN long-term credential mechanism (RFC 8489 §9.2) as TURN uses it
// (RFC 8656 §7.1, §7.2): learn REALM and NONCE from a 401, follow 438 Stale Nonce, pick the
// password algorithm and USERHASH from the nonce cookie, sign requests and check responses.
import {
  longTermKey,
  opaqueString,
  PrecisError,
  parseNonceCookie,
  type StunMessage,
  type StunMessageBuilder,
  userhash,
  verifyMessageIntegrity,
} from '@p2pcat/stun/core';
import { TurnError } from './errors.js';
import { safeGet, safeGetAll } from './stun-attributes.js';

/** RFC 8489 §18.5.1: PASSWORD-ALGORITHM values. */
const ALGORITHM_MD5 = 1;
const ALGORITHM_SHA256 = 2;
/** How many 438 Stale Nonce answers one request may follow before the error stands. */
export const STALE_NONCE_RETRIES = 3;

/** What to do with an error response, as far as authentication is concerned. */
export type ChallengeOutcome =
  /** Send the request again, signed with the (new) credentials; `staleRetries` for the new request. */
  | { action: 'retry'; staleRetries: number }
  /** The server's challenge lacks REALM or NONCE: a protocol failure of the request (`what` says why). */
  | { action: 'malformed'; what: string }
  /** The credentials cannot be used at all: the allocation fails; `fromServer` when the REALM was at fault. */
  | { action: 'fail'; error: TurnError; fromServer: boolean }
  /** Not an authentication matter: handle the error code as any other. */
  | { action: 'none' };

type PasswordAlgorithm = { algorithm: number; parameters: Uint8Array };

/** Long-term credential state of one client towards one server (RFC 8489 §9.2). */
export class LongTermAuth {
  private realm: string | undefined;
  private nonce: string | undefined;
  private key: Uint8Array | undefined;
  private passwordAlgorithms: PasswordAlgorithm[] | undefined;
  private passwordAlgorithm: PasswordAlgorithm | undefined;
  private useUserhash = false;
  private integrity: 'sha1' | 'sha256' = 'sha1';

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** True once a challenge was answered: requests are then signed (RFC 8489 §9.2.4). */
  get ready(): boolean {
    return this.key !== undefined;
  }

  /** Forgets everything learnt: after a 300 redirect the client starts over without credentials. */
  reset(): void {
    this.realm = undefined;
    this.nonce = undefined;
    this.key = undefined;
    this.passwordAlgorithms = undefined;
    this.passwordAlgorithm = undefined;
    this.useUserhash = false;
    this.integrity = 'sha1';
  }

  /**
   * Decides on a 401 or 438 answer to a request (`authenticated`: whether that request was signed;
   * `staleRetries`: how many 438s it already followed). Other codes are `none`.
   */
  onErrorResponse(
    code: number,
    message: StunMessage,
    request: { authenticated: boolean; staleRetries: number },
  ): ChallengeOutcome {
    if (code === 401 && !request.authenticated) {
      // RFC 8489 §9.2.3: the challenge; retry with credentials.
      const learnt = this.learnChallenge(message);
      if (learnt !== 'ok')
        return learnt === 'missing' ? { action: 'malformed', what: 'a 401 without REALM and NONCE' } : learnt;
      return { action: 'retry', staleRetries: request.staleRetries };
    }
    if (code === 438 && request.staleRetries < STALE_NONCE_RETRIES) {
      // RFC 8489 §9.2.5: 438 Stale Nonce: retry with the NONCE (and REALM) of the error response.
      const nonce = safeGet(message, 'NONCE');
      if (nonce !== undefined) {
        if (this.key === undefined) {
          const learnt = this.learnChallenge(message);
          if (learnt !== 'ok')
            return learnt === 'missing'
              ? { action: 'malformed', what: 'a 438 without REALM and NONCE' }
              : learnt;
        } else {
          this.nonce = nonce;
          this.applyNonceCookie(message);
        }
        return { action: 'retry', staleRetries: request.staleRetries + 1 };
      }
    }
    return { action: 'none' };
  }

  /**
   * Adds USERNAME (or USERHASH when the server offers anonymity), REALM, NONCE and the
   * PASSWORD-ALGORITHMS / PASSWORD-ALGORITHM pair when the nonce cookie announced them, and builds
   * the request with MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §9.2.4). Unsigned when not `ready`.
   */
  sign(b: StunMessageBuilder): Uint8Array {
    if (!this.key || this.realm === undefined || this.nonce === undefined) return b.build();
    if (this.useUserhash) b.add('USERHASH', userhash(this.username, this.realm));
    else b.add('USERNAME', this.username);
    b.add('REALM', this.realm);
    b.add('NONCE', this.nonce);
    if (this.passwordAlgorithms && this.passwordAlgorithm) {
      b.add('PASSWORD_ALGORITHMS', this.passwordAlgorithms);
      b.add('PASSWORD_ALGORITHM', this.passwordAlgorithm);
    }
    return b.build({ integrityKey: this.key, integrity: this.integrity });
  }

  /**
   * RFC 8489 §9.2.5: whether a response to a signed request may be acted on. 401 and 438 are never
   * integrity-protected; other errors are checked only when they carry integrity, because many servers
   * answer errors such as 437 without it; a success must carry a valid MESSAGE-INTEGRITY(-SHA256).
   * Always true before a challenge was answered.
   */
  authentic(message: StunMessage): boolean {
    if (!this.key) return true;
    if (message.class === 'error') {
      const code = safeGet(message, 'ERROR_CODE')?.code;
      if (code === 401 || code === 438) return true;
      if (!message.has('MESSAGE_INTEGRITY') && !message.has('MESSAGE_INTEGRITY_SHA256')) return true;
    }
    return verifyMessageIntegrity(message, this.key);
  }

  private learnChallenge(message: StunMessage): 'ok' | 'missing' | ChallengeOutcome {
    const realm = safeGet(message, 'REALM');
    const nonce = safeGet(message, 'NONCE');
    if (realm === undefined || nonce === undefined) return 'missing';
    this.realm = realm;
    this.nonce = nonce;
    try {
      this.applyNonceCookie(message);
      // USERHASH prepares the username the same way (RFC 8489 §14.4): refuse it here, not later.
      if (this.useUserhash) opaqueString(this.username, 'username');
    } catch (e) {
      if (!(e instanceof PrecisError)) throw e;
      // RFC 8489 §9.2.2: realm and password go through OpaqueString; one it refuses has no key.
      const fromServer = /\brealm\b/.test(e.message);
      return {
        action: 'fail',
        fromServer,
        error: new TurnError(
          fromServer ? 'protocol' : 'invalid-credentials',
          fromServer
            ? `TURN server sent a REALM that cannot be used: ${e.message}`
            : `TURN credentials cannot be used: ${e.message} (RFC 8489 §9.2.2)`,
          { cause: e },
        ),
      };
    }
    return 'ok';
  }

  /** RFC 8489 §9.2.3-9.2.4: security features announced in the nonce cookie select algorithm and USERHASH. */
  private applyNonceCookie(message: StunMessage): void {
    const realm = this.realm ?? '';
    const features = this.nonce === undefined ? undefined : parseNonceCookie(this.nonce);
    let algorithm: 'MD5' | 'SHA-256' = 'MD5';
    this.passwordAlgorithms = undefined;
    this.passwordAlgorithm = undefined;
    if (features?.passwordAlgorithms) {
      const list = safeGetAll(message, 'PASSWORD_ALGORITHMS')[0];
      if (list && list.length > 0) {
        // The first algorithm in the server's list that this client supports.
        const chosen = list.find((a) => a.algorithm === ALGORITHM_SHA256 || a.algorithm === ALGORITHM_MD5);
        if (chosen) {
          this.passwordAlgorithms = list;
          this.passwordAlgorithm = chosen;
          algorithm = chosen.algorithm === ALGORITHM_SHA256 ? 'SHA-256' : 'MD5';
        }
      }
    }
    this.useUserhash = features?.usernameAnonymity ?? false;
    // A server that speaks RFC 8489 (nonce cookie present) gets MESSAGE-INTEGRITY-SHA256.
    this.integrity = features ? 'sha256' : 'sha1';
    this.key = longTermKey(this.username, realm, this.password, algorithm);
  }
}
