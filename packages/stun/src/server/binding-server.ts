import {
  AttributeType,
  decodeStunMessage,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
  verifyFingerprint,
} from '../codec/index.js';

export type ServerTransport = 'udp' | 'tcp' | 'tls';

export interface StunServerOptions {
  /** The primary address (IP1:P1). Requests arrive on it and, with `alternate`, on three more. */
  primary: TransportAddress;
  /**
   * The alternate address (IP2:P2), both IP and port different from the primary. Enables RFC 5780:
   * the server then listens on IP1:P1, IP1:P2, IP2:P1 and IP2:P2, honours CHANGE-REQUEST and
   * adds OTHER-ADDRESS.
   */
  alternate?: TransportAddress;
  /** SOFTWARE attribute of every response; undefined for none. */
  software?: string;
}

export interface ServerTransmit {
  data: Uint8Array;
  /** The local address to send from (one of `localAddresses`). */
  source: TransportAddress;
  destination: TransportAddress;
}

export interface StunServerStats {
  /** Binding success responses sent. */
  success: number;
  /** Error responses sent (400, 420). */
  errors: number;
  /** Datagrams dropped unanswered: not STUN, responses, indications, bad FINGERPRINT. */
  dropped: number;
}

/**
 * Sans-IO STUN Binding server (RFC 8489 §6.3, RFC 5780 §6). Stateless: every request is answered
 * from what it carries and the local address it arrived on.
 */
export class StunBindingServer {
  readonly #primary: TransportAddress;
  readonly #alternate: TransportAddress | undefined;
  readonly #software: string | undefined;
  readonly #transmits: ServerTransmit[] = [];
  readonly stats: StunServerStats = { success: 0, errors: 0, dropped: 0 };

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
  }

  /** The addresses to listen on: the primary alone, or IP1:P1, IP1:P2, IP2:P1, IP2:P2. */
  get localAddresses(): TransportAddress[] {
    const p = this.#primary;
    const a = this.#alternate;
    if (a === undefined) return [p];
    return [p, { ...p, port: a.port }, { ...a, port: p.port }, a];
  }

  get rfc5780(): boolean {
    return this.#alternate !== undefined;
  }

  /**
   * A datagram (or a framed stream message) from `from`, received on local address `local`.
   * Returns true when an answer was queued for pollTransmit.
   */
  handleInput(
    data: Uint8Array,
    from: TransportAddress,
    local: TransportAddress,
    transport: ServerTransport = 'udp',
  ): boolean {
    let message: StunMessage;
    try {
      message = decodeStunMessage(data);
    } catch {
      return this.#answerMalformed(data, from, local);
    }
    // RFC 8489 §6.3.2 and §6.3.3: indications and responses are never answered.
    if (message.class !== 'request') return this.#drop();
    // RFC 8489 §7: a message whose FINGERPRINT does not match is not STUN: discard it.
    if (message.has('FINGERPRINT') && !verifyFingerprint(message)) return this.#drop();
    const fingerprint = message.has('FINGERPRINT');
    // RFC 8489 §6.3.1: unknown comprehension-required attributes get a 420 listing them.
    if (message.unknownComprehensionRequired.length > 0) {
      return this.#error(message, from, local, 420, 'Unknown Attribute', fingerprint, [
        ...message.unknownComprehensionRequired,
      ]);
    }
    if (message.method !== StunMethod.Binding) {
      return this.#error(
        message,
        from,
        local,
        400,
        'Bad Request: this server answers Binding only',
        fingerprint,
      );
    }
    let change: { changeIp: boolean; changePort: boolean } | undefined;
    let responsePort: number | undefined;
    try {
      change = message.get('CHANGE_REQUEST');
      responsePort = message.get('RESPONSE_PORT');
    } catch {
      return this.#error(message, from, local, 400, 'Bad Request: malformed attribute', fingerprint);
    }
    const changing = change !== undefined && (change.changeIp || change.changePort);
    if (changing && this.#alternate === undefined) {
      // RFC 5780 §6: a server without an alternate address cannot honour CHANGE-REQUEST and
      // answers 420, which tells the client that behaviour discovery is not available here.
      return this.#error(message, from, local, 420, 'Unknown Attribute: no alternate address', fingerprint, [
        AttributeType.CHANGE_REQUEST,
      ]);
    }
    if ((changing || responsePort !== undefined) && transport !== 'udp') {
      return this.#error(
        message,
        from,
        local,
        400,
        'Bad Request: CHANGE-REQUEST and RESPONSE-PORT are for UDP only',
        fingerprint,
      );
    }
    const source = this.#sourceFor(local, change?.changeIp ?? false, change?.changePort ?? false);
    const builder = new StunMessageBuilder('success', message.method, message.transactionId);
    // RFC 8489 §12: an RFC 3489 client (no magic cookie) understands only MAPPED-ADDRESS.
    if (message.isClassic) builder.add('MAPPED_ADDRESS', from);
    else builder.add('XOR_MAPPED_ADDRESS', from);
    // RFC 5780 §6: RESPONSE-ORIGIN names where the response is sent from; OTHER-ADDRESS only
    // from a server that has a second address.
    builder.add('RESPONSE_ORIGIN', source);
    if (this.#alternate !== undefined) builder.add('OTHER_ADDRESS', this.#sourceFor(local, true, true));
    if (this.#software !== undefined) builder.add('SOFTWARE', this.#software);
    let response = builder.build({ fingerprint: fingerprint && !message.isClassic });
    if (message.isClassic) response = withClassicHeader(response, message.raw);
    // RFC 5780 §7.5: RESPONSE-PORT sends the response to that port of the client's IP.
    const destination = responsePort === undefined ? from : { ...from, port: responsePort };
    this.stats.success++;
    this.#transmits.push({ data: response, source, destination });
    return true;
  }

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

  /** RFC 8489 §6.3.1: a request the codec rejects gets 400, if its header says it is a request. */
  #answerMalformed(data: Uint8Array, from: TransportAddress, local: TransportAddress): boolean {
    if (data.length < 20 || (data[0]! & 0xc0) !== 0) return this.#drop();
    const type = (data[0]! << 8) | data[1]!;
    const isRequest = (type & 0x0110) === 0;
    const cookie = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
    if (!isRequest || cookie !== 0x2112a442) return this.#drop();
    const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
    const response = new StunMessageBuilder('error', method, data.slice(8, 20))
      .add('ERROR_CODE', { code: 400, reason: 'Bad Request: malformed STUN message' })
      .build();
    this.stats.errors++;
    this.#transmits.push({ data: response, source: local, destination: from });
    return true;
  }

  #error(
    request: StunMessage,
    from: TransportAddress,
    local: TransportAddress,
    code: number,
    reason: string,
    fingerprint: boolean,
    unknown?: number[],
  ): boolean {
    const builder = new StunMessageBuilder('error', request.method, request.transactionId).add('ERROR_CODE', {
      code,
      reason,
    });
    if (unknown !== undefined) builder.add('UNKNOWN_ATTRIBUTES', unknown);
    if (this.#software !== undefined) builder.add('SOFTWARE', this.#software);
    let response = builder.build({ fingerprint: fingerprint && !request.isClassic });
    if (request.isClassic) response = withClassicHeader(response, request.raw);
    this.stats.errors++;
    this.#transmits.push({ data: response, source: local, destination: from });
    return true;
  }

  #drop(): false {
    this.stats.dropped++;
    return false;
  }
}

/** An RFC 3489 transaction id is 16 bytes and spans the cookie field: echo it whole. */
function withClassicHeader(response: Uint8Array, request: Uint8Array): Uint8Array {
  const out = response.slice();
  out.set(request.subarray(4, 8), 4);
  return out;
}
