import {
  AttributeType,
  decodeStunMessage,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
  verifyFingerprint,
} from '../codec/index.js';
import { addressAttributeSize, attributeSize, buildBoundedError, HEADER } from './bounded-response.js';
import { type SourceRateLimit, SourceRateLimiter } from './rate-limiter.js';

/** The transport a request came over; RFC 5780 tests are answered over UDP only. */
export type ServerTransport = 'udp' | 'tcp' | 'tls';

/** Options of `StunBindingServer`. */
export interface StunServerOptions {
  /** The primary address (IP1:P1). Requests arrive on it and, with `alternate`, on three more. */
  primary: TransportAddress;
  /**
   * The alternate address (IP2:P2), both IP and port different from the primary. Enables RFC 5780:
   * the server then listens on IP1:P1, IP1:P2, IP2:P1 and IP2:P2, honours CHANGE-REQUEST and
   * adds OTHER-ADDRESS.
   */
  alternate?: TransportAddress;
  /**
   * SOFTWARE attribute (RFC 8489 §14.14), added to a response only when the response still fits
   * within the size of its request; undefined for none (RFC 8489 §16.1.2: make it configurable).
   */
  software?: string;
  /**
   * Per-source token bucket on UDP answers (responses and errors). Undefined: no limit here (the
   * Node adapter applies DEFAULT_SOURCE_RATE_LIMIT). With it, pass `now` to handleInput.
   */
  rateLimit?: SourceRateLimit;
}

/** A datagram the server wants sent. */
export interface ServerTransmit {
  /** The encoded response. */
  data: Uint8Array;
  /** The local address to send from (one of `localAddresses`). */
  source: TransportAddress;
  /** Where to send it. */
  destination: TransportAddress;
}

/** Counters of what the server did. */
export interface StunServerStats {
  /** Binding success responses queued. */
  success: number;
  /** Error responses queued (400, 420). */
  errors: number;
  /** Datagrams dropped unanswered: not STUN, responses, indications, bad FINGERPRINT. */
  dropped: number;
  /**
   * Requests left unanswered because even the smallest error response would have been larger
   * than the request (no amplification).
   */
  withheld: number;
  /** Answers not queued because the source's token bucket was empty (UDP, `rateLimit`). */
  rateLimited: number;
  /** Sends the I/O adapter reported as failed (noteSendFailure). */
  sendFailures: number;
}

/** Reason phrases (RFC 8489 §14.8: for humans). ASCII, so they can be cut to fit. */
const REASON = {
  malformed: 'Bad Request: malformed STUN message',
  method: 'Bad Request: this server answers Binding only',
  attribute: 'Bad Request: malformed attribute',
  unknown: 'Unknown Attribute',
  noAlternate: 'Unknown Attribute: no alternate address',
  udpOnly: 'Bad Request: CHANGE-REQUEST and RESPONSE-PORT are for UDP only',
  portAndPadding: 'Bad Request: RESPONSE-PORT with PADDING',
  portZero: 'Bad Request: RESPONSE-PORT 0',
} as const;

/**
 * Sans-IO STUN Binding server (RFC 8489 §6.3, RFC 5780 §6). Stateless per request: every request
 * is answered from what it carries and the local address it arrived on. The only state is the
 * optional per-source rate limit.
 *
 * Amplification: no answer is larger than the request that caused it (errors are cut to fit, or
 * withheld), except the Binding success response, whose attributes RFC 5780 §6.1 requires; SOFTWARE
 * goes into any answer only if it still fits within the request's size.
 */
export class StunBindingServer {
  readonly #primary: TransportAddress;
  readonly #alternate: TransportAddress | undefined;
  readonly #software: string | undefined;
  readonly #limiter: SourceRateLimiter | undefined;
  readonly #transmits: ServerTransmit[] = [];
  /** Live counters. */
  readonly stats: StunServerStats = {
    success: 0,
    errors: 0,
    dropped: 0,
    withheld: 0,
    rateLimited: 0,
    sendFailures: 0,
  };

  constructor(options: StunServerOptions) {
    const { primary, alternate } = options;
    if (alternate !== undefined) {
      if (alternate.family !== primary.family) {
        throw new Error('the alternate STUN server address must be of the same family as the primary one');
      }
      if (alternate.address === primary.address || alternate.port === primary.port) {
        throw new Error(
          'the alternate STUN server address must differ from the primary one in both IP and port (RFC 5780)',
        );
      }
    }
    this.#primary = primary;
    this.#alternate = alternate;
    this.#software = options.software;
    this.#limiter = options.rateLimit ? new SourceRateLimiter(options.rateLimit) : undefined;
  }

  /** The addresses to listen on: the primary alone, or IP1:P1, IP1:P2, IP2:P1, IP2:P2. */
  get localAddresses(): TransportAddress[] {
    const p = this.#primary;
    const a = this.#alternate;
    if (a === undefined) return [p];
    return [p, { ...p, port: a.port }, { ...a, port: p.port }, a];
  }

  /** Whether the server has an alternate address and so answers RFC 5780 tests. */
  get rfc5780(): boolean {
    return this.#alternate !== undefined;
  }

  /** Sources the rate limiter tracks (0 without `rateLimit`). */
  get trackedSources(): number {
    return this.#limiter?.size ?? 0;
  }

  /** The adapter tells the core a transmit could not be sent (counted in stats.sendFailures). */
  noteSendFailure(): void {
    this.stats.sendFailures++;
  }

  /**
   * A datagram (or a framed stream message) from `from`, received on local address `local`, at
   * `now` (ms, monotonic; only the rate limit reads it). Returns true when an answer was queued
   * for pollTransmit. Never throws.
   */
  handleInput(
    data: Uint8Array,
    from: TransportAddress,
    local: TransportAddress,
    transport: ServerTransport = 'udp',
    now = 0,
  ): boolean {
    let message: StunMessage;
    try {
      message = decodeStunMessage(data);
    } catch {
      return this.#answerMalformed(data, from, local, transport, now);
    }
    const reply = { request: message, from, local, transport, now };
    // RFC 8489 §6.3.2 and §6.3.3: indications and responses are never answered.
    if (message.class !== 'request') return this.#drop();
    // RFC 8489 §7: a message whose FINGERPRINT does not match is not STUN: discard it.
    if (message.has('FINGERPRINT') && !verifyFingerprint(message)) return this.#drop();
    // RFC 8489 §6.3.1: unknown comprehension-required attributes get a 420 listing them.
    if (message.unknownComprehensionRequired.length > 0)
      return this.#error(reply, 420, REASON.unknown, message.unknownComprehensionRequired);
    if (message.method !== StunMethod.Binding) return this.#error(reply, 400, REASON.method);
    let change: { changeIp: boolean; changePort: boolean } | undefined;
    let responsePort: number | undefined;
    try {
      change = message.get('CHANGE_REQUEST');
      responsePort = message.get('RESPONSE_PORT');
    } catch {
      return this.#error(reply, 400, REASON.attribute);
    }
    const padding = message.has('PADDING');
    // RFC 5780 §6: a server without an alternate address MUST answer 420 to any request with a
    // CHANGE-REQUEST attribute (whatever its flags), which tells the client that behaviour
    // discovery is not available here.
    if (change !== undefined && this.#alternate === undefined)
      return this.#error(reply, 420, REASON.noAlternate, [AttributeType.CHANGE_REQUEST]);
    const changing = change !== undefined && (change.changeIp || change.changePort);
    if ((changing || responsePort !== undefined) && transport !== 'udp')
      return this.#error(reply, 400, REASON.udpOnly);
    // RFC 5780 §6.1 and §7.5: RESPONSE-PORT together with PADDING MUST get a 400 (it would aim a
    // padded answer at another port).
    if (responsePort !== undefined && padding) return this.#error(reply, 400, REASON.portAndPadding);
    // RFC 5780 §7.5 allows 0-65535, but nothing can be sent to port 0: the request is unusable.
    if (responsePort === 0) return this.#error(reply, 400, REASON.portZero);

    const source = this.#sourceFor(local, change?.changeIp ?? false, change?.changePort ?? false);
    const other = this.#alternate !== undefined ? this.#sourceFor(local, true, true) : undefined;
    const fingerprint = message.has('FINGERPRINT') && !message.isClassic;
    // RFC 5780 §6.1: a request that uses this usage (CHANGE-REQUEST, RESPONSE-PORT or PADDING)
    // gets both MAPPED-ADDRESS and XOR-MAPPED-ADDRESS; a plain one only what RFC 8489 §6.3.1.1
    // asks: XOR-MAPPED-ADDRESS (RFC 3489 clients, no magic cookie, MAPPED-ADDRESS instead, §12).
    const usage5780 = change !== undefined || responsePort !== undefined || padding;
    const builder = new StunMessageBuilder('success', message.method, message.transactionId);
    let size = HEADER + (fingerprint ? 8 : 0);
    if (message.isClassic) {
      builder.add('MAPPED_ADDRESS', from);
      size += addressAttributeSize(from);
    } else {
      builder.add('XOR_MAPPED_ADDRESS', from);
      size += addressAttributeSize(from);
      if (usage5780) {
        builder.add('MAPPED_ADDRESS', from);
        size += addressAttributeSize(from);
      }
    }
    // RFC 5780 §6.1: RESPONSE-ORIGIN names where the response is sent from (MUST); OTHER-ADDRESS
    // only from a server that has a second address (MUST, and MUST NOT otherwise, §7.4).
    builder.add('RESPONSE_ORIGIN', source);
    size += addressAttributeSize(source);
    if (other !== undefined) {
      builder.add('OTHER_ADDRESS', other);
      size += addressAttributeSize(other);
    }
    // SOFTWARE is optional (RFC 8489 §14.14): only within the request's size.
    const software = this.#software;
    if (software !== undefined) {
      const s = attributeSize(utf8.encode(software).length);
      if (size + s + (padding ? 4 : 0) <= data.length) {
        builder.add('SOFTWARE', software);
        size += s;
      }
    }
    // RFC 5780 §6.1: PADDING in the request MUST be answered with PADDING. Its length SHOULD be
    // the MTU; here it fills the response up to the request's size and never beyond, so the
    // answer is as fragmented as the request was and no larger.
    if (padding) builder.add('PADDING', new Uint8Array(Math.max(0, (data.length - size - 4) & ~3)));
    let response = builder.build({ fingerprint });
    if (message.isClassic) response = withClassicHeader(response, message.raw);
    // RFC 5780 §7.5: RESPONSE-PORT sends the response to that port of the client's IP.
    const destination = responsePort === undefined ? from : { ...from, port: responsePort };
    if (!this.#admit(from, transport, now)) return false;
    this.stats.success++;
    this.#transmits.push({ data: response, source, destination });
    return true;
  }

  /** The next response to send, or undefined when none is queued. */
  pollTransmit(): ServerTransmit | undefined {
    return this.#transmits.shift();
  }

  #sourceFor(local: TransportAddress, changeIp: boolean, changePort: boolean): TransportAddress {
    const alt = this.#alternate;
    if (alt === undefined) return local;
    const p = this.#primary;
    const otherIp = local.address === p.address ? alt.address : p.address;
    const otherPort = local.port === p.port ? alt.port : p.port;
    return {
      ...local,
      address: changeIp ? otherIp : local.address,
      port: changePort ? otherPort : local.port,
    };
  }

  /** The per-source token bucket (UDP only: a TCP peer has proved its address). */
  #admit(from: TransportAddress, transport: ServerTransport, now: number): boolean {
    if (transport !== 'udp' || this.#limiter === undefined || this.#limiter.take(from, now)) return true;
    this.stats.rateLimited++;
    return false;
  }

  /** RFC 8489 §6.3.1: a request the codec rejects gets 400, if its header says it is a request. */
  #answerMalformed(
    data: Uint8Array,
    from: TransportAddress,
    local: TransportAddress,
    transport: ServerTransport,
    now: number,
  ): boolean {
    if (data.length < 20 || (data[0]! & 0xc0) !== 0) return this.#drop();
    const type = (data[0]! << 8) | data[1]!;
    const isRequest = (type & 0x0110) === 0;
    const cookie = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
    if (!isRequest || cookie !== 0x2112a442) return this.#drop();
    const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
    const response = buildBoundedError(
      {
        method,
        transactionId: data.slice(8, 20),
        code: 400,
        reason: REASON.malformed,
        fingerprint: false,
        software: this.#software,
      },
      data.length,
    );
    return this.#queueError(response, from, local, transport, now);
  }

  #error(
    r: {
      request: StunMessage;
      from: TransportAddress;
      local: TransportAddress;
      transport: ServerTransport;
      now: number;
    },
    code: number,
    reason: string,
    unknown?: readonly number[],
  ): boolean {
    const { request } = r;
    let response = buildBoundedError(
      {
        method: request.method,
        transactionId: request.transactionId,
        code,
        reason,
        ...(unknown !== undefined ? { unknown } : {}),
        fingerprint: request.has('FINGERPRINT') && !request.isClassic,
        software: this.#software,
      },
      request.raw.length,
    );
    if (response !== undefined && request.isClassic) response = withClassicHeader(response, request.raw);
    return this.#queueError(response, r.from, r.local, r.transport, r.now);
  }

  #queueError(
    response: Uint8Array | undefined,
    from: TransportAddress,
    local: TransportAddress,
    transport: ServerTransport,
    now: number,
  ): boolean {
    if (response === undefined) {
      this.stats.withheld++;
      return false;
    }
    if (!this.#admit(from, transport, now)) return false;
    this.stats.errors++;
    this.#transmits.push({ data: response, source: local, destination: from });
    return true;
  }

  #drop(): false {
    this.stats.dropped++;
    return false;
  }
}

const utf8 = new TextEncoder();

/** An RFC 3489 transaction id is 16 bytes and spans the cookie field: echo it whole. */
function withClassicHeader(response: Uint8Array, request: Uint8Array): Uint8Array {
  const out = response.slice();
  out.set(request.subarray(4, 8), 4);
  return out;
}
