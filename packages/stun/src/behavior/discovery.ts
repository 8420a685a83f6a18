import { formatTransportAddress, sameTransportAddress } from '../address.js';
import type { StunMessage, TransportAddress } from '../codec/index.js';
import { StunError } from '../errors.js';
import { describeNatBehavior } from './summary.js';
import type { BindingProbe, FilteringBehavior, MappingBehavior, NatBehavior, OpenProbe } from './types.js';

/**
 * RFC 5780 NAT behaviour discovery against one server, over probes the caller opens (sockets,
 * or a simulated network in tests). The mapping tests (§4.3) and hairpinning run on one socket;
 * each filtering test (§4.4) runs on a socket of its own that has sent to nothing but the primary
 * address, so a mapping opened by another test cannot let the answer through.
 */
export async function discoverNatBehaviorWith(
  openProbe: OpenProbe,
  server: TransportAddress,
): Promise<NatBehavior> {
  const notes: string[] = [];
  const m = await openProbe();
  try {
    // Test I (RFC 5780 §4.3 and §4.4): a plain Binding request to the primary address.
    const first = await m.binding(server);
    if (first === undefined) {
      throw new StunError(
        'timeout',
        `no answer from STUN server ${formatTransportAddress(server)}: check the address and that outgoing UDP is allowed`,
      );
    }
    const x1 = mappedAddress(first);
    if (x1 === undefined)
      throw new StunError(
        'bad-response',
        'the STUN server answered without a mapped address: try another server',
      );
    const other = safeGet(first, 'OTHER_ADDRESS');
    const natPresent = !sameTransportAddress(x1, m.local);
    const portPreservation = x1.port === m.local.port;
    let rfc5780 = other !== undefined && other.address !== server.address && other.port !== server.port;
    if (!rfc5780)
      notes.push(
        'the server does not support RFC 5780 (no usable OTHER-ADDRESS): mapping and filtering not measured',
      );

    let filtering: Promise<FilteringBehavior> = Promise.resolve('unknown');
    let mapping: MappingBehavior = natPresent ? 'unknown' : 'no-nat';
    if (rfc5780 && other !== undefined) {
      filtering = filteringTests(openProbe, server, other, notes);
      if (natPresent) mapping = await mappingTests(m, server, other, x1, notes);
    }
    const hairpinning = natPresent ? await m.hairpin(x1) : undefined;
    const filteringResult = await filtering;
    if (filteringResult === 'unknown' && rfc5780 && notes.some((n) => n.includes('420'))) rfc5780 = false;
    const behavior: Omit<NatBehavior, 'summary'> = {
      server,
      local: m.local,
      mapped: x1,
      natPresent,
      mapping,
      filtering: filteringResult,
      hairpinning,
      portPreservation,
      rfc5780,
      notes,
    };
    return { ...behavior, summary: describeNatBehavior(behavior) };
  } finally {
    m.close();
  }
}

/** RFC 5780 §4.3: tests II and III, on the socket that ran test I. */
async function mappingTests(
  m: BindingProbe,
  server: TransportAddress,
  other: TransportAddress,
  x1: TransportAddress,
  notes: string[],
): Promise<MappingBehavior> {
  // Test II: to the alternate IP and the primary port.
  const second = await m.binding({ ...server, address: other.address });
  const x2 = second && mappedAddress(second);
  if (x2 === undefined) {
    notes.push(`no answer from the alternate address ${other.address}:${server.port}: mapping unknown`);
    return 'unknown';
  }
  if (sameTransportAddress(x1, x2)) return 'endpoint-independent';
  // Test III: to the alternate IP and the alternate port.
  const third = await m.binding(other);
  const x3 = third && mappedAddress(third);
  if (x3 === undefined) {
    notes.push(`no answer from the alternate address ${formatTransportAddress(other)}: mapping unknown`);
    return 'unknown';
  }
  return sameTransportAddress(x2, x3) ? 'address-dependent' : 'address-and-port-dependent';
}

/** RFC 5780 §4.4: tests II and III, each on a fresh socket. */
async function filteringTests(
  openProbe: OpenProbe,
  server: TransportAddress,
  other: TransportAddress,
  notes: string[],
): Promise<FilteringBehavior> {
  const changeBoth = async () => {
    const p = await openProbe();
    try {
      const r = await p.binding(server, { changeIp: true, changePort: true }, other);
      return classify(r);
    } finally {
      p.close();
    }
  };
  const changePort = async () => {
    const p = await openProbe();
    try {
      const r = await p.binding(
        server,
        { changeIp: false, changePort: true },
        { ...server, port: other.port },
      );
      return classify(r);
    } finally {
      p.close();
    }
  };
  const [both, port] = await Promise.all([changeBoth(), changePort()]);
  if (both === 'refused' || port === 'refused') {
    notes.push('the server answered CHANGE-REQUEST with 420: it cannot run the filtering tests');
    return 'unknown';
  }
  if (both === 'answered') return 'endpoint-independent';
  return port === 'answered' ? 'address-dependent' : 'address-and-port-dependent';
}

function classify(r: StunMessage | undefined): 'answered' | 'silent' | 'refused' {
  if (r === undefined) return 'silent';
  if (r.class === 'success') return 'answered';
  return 'refused';
}

function mappedAddress(m: StunMessage): TransportAddress | undefined {
  if (m.class !== 'success') return undefined;
  return safeGet(m, 'XOR_MAPPED_ADDRESS') ?? safeGet(m, 'MAPPED_ADDRESS');
}

function safeGet<K extends 'XOR_MAPPED_ADDRESS' | 'MAPPED_ADDRESS' | 'OTHER_ADDRESS'>(
  m: StunMessage,
  name: K,
): TransportAddress | undefined {
  try {
    return m.get(name);
  } catch {
    return undefined;
  }
}
