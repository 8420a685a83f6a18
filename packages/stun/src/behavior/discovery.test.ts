import { describe, expect, test } from 'vitest';
import { sameTransportAddress } from '../address.js';
import { decodeStunMessage, StunMessageBuilder, StunMethod, type TransportAddress } from '../codec/index.js';
import { StunBindingServer } from '../server/binding-server.js';
import { discoverNatBehaviorWith } from './discovery.js';
import type { BindingProbe, FilteringBehavior, MappingBehavior } from './types.js';

const v4 = (address: string, port: number): TransportAddress => ({ family: 'IPv4', address, port });
const primary = v4('203.0.113.10', 3478);
const alternate = v4('203.0.113.11', 3479);
const PUBLIC_IP = '203.0.113.101';
const HOST_IP = '10.0.1.2';

interface NatConfig {
  mapping: Exclude<MappingBehavior, 'unknown' | 'no-nat'>;
  filtering: Exclude<FilteringBehavior, 'unknown'>;
  hairpin?: boolean;
  preservePort?: boolean;
}

interface Mapping {
  local: TransportAddress;
  external: TransportAddress;
  contacted: Set<string>;
}

/** A NAT as RFC 4787 describes it: mapping and filtering chosen independently. */
class SimulatedNat {
  readonly #mappings = new Map<string, Mapping>();
  #nextPort = 61000;
  constructor(readonly config: NatConfig) {}

  outbound(local: TransportAddress, dest: TransportAddress): TransportAddress {
    const { mapping } = this.config;
    const key =
      mapping === 'endpoint-independent'
        ? `${local.port}`
        : mapping === 'address-dependent'
          ? `${local.port}|${dest.address}`
          : `${local.port}|${dest.address}|${dest.port}`;
    let m = this.#mappings.get(key);
    if (m === undefined) {
      const taken = [...this.#mappings.values()].some((x) => x.external.port === local.port);
      const port = this.config.preservePort !== false && !taken ? local.port : this.#nextPort++;
      m = { local, external: v4(PUBLIC_IP, port), contacted: new Set() };
      this.#mappings.set(key, m);
    }
    m.contacted.add(dest.address);
    m.contacted.add(`${dest.address}:${dest.port}`);
    return m.external;
  }

  inbound(from: TransportAddress, to: TransportAddress): TransportAddress | undefined {
    for (const m of this.#mappings.values()) {
      if (!sameTransportAddress(m.external, to)) continue;
      const { filtering } = this.config;
      if (filtering === 'address-dependent' && !m.contacted.has(from.address)) continue;
      if (filtering === 'address-and-port-dependent' && !m.contacted.has(`${from.address}:${from.port}`))
        continue;
      return m.local;
    }
    return undefined;
  }
}

/** Probes over the simulated NAT (or none) to a simulated RFC 5780 server. */
function network(nat: SimulatedNat | undefined, server: StunBindingServer) {
  let nextLocal = 50000;
  return async (): Promise<BindingProbe> => {
    const local = nat ? v4(HOST_IP, nextLocal++) : v4(PUBLIC_IP, nextLocal++);
    return {
      local,
      async binding(destination, change, responseSource) {
        const request = new StunMessageBuilder('request', StunMethod.Binding);
        if (change) request.add('CHANGE_REQUEST', change);
        const src = nat ? nat.outbound(local, destination) : local;
        server.handleInput(request.build(), src, destination);
        const t = server.pollTransmit();
        if (t === undefined) return undefined;
        const delivered = nat ? nat.inbound(t.source, t.destination) : t.destination;
        if (delivered === undefined || !sameTransportAddress(delivered, local)) return undefined;
        if (!sameTransportAddress(t.source, responseSource ?? destination)) return undefined;
        return decodeStunMessage(t.data);
      },
      async hairpin(destination) {
        if (!nat?.config.hairpin || destination.address !== PUBLIC_IP) return false;
        if (!nat) return false;
        const src = nat.outbound(local, destination);
        const delivered = nat.inbound(src, destination);
        return delivered !== undefined && sameTransportAddress(delivered, local);
      },
      close() {},
    };
  };
}

const server5780 = () => new StunBindingServer({ primary, alternate });

describe('RFC 5780 discovery against a simulated NAT', () => {
  const mappings = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'] as const;
  const filterings = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'] as const;
  for (const mapping of mappings) {
    for (const filtering of filterings) {
      test(`${mapping} mapping, ${filtering} filtering`, async () => {
        const nat = new SimulatedNat({ mapping, filtering });
        const b = await discoverNatBehaviorWith(network(nat, server5780()), primary);
        expect(b.natPresent).toBe(true);
        expect(b.rfc5780).toBe(true);
        expect(b.mapping).toBe(mapping);
        expect(b.filtering).toBe(filtering);
        expect(b.mapped.address).toBe(PUBLIC_IP);
        expect(b.notes).toEqual([]);
      });
    }
  }

  test('full cone summary in plain words', async () => {
    const nat = new SimulatedNat({
      mapping: 'endpoint-independent',
      filtering: 'endpoint-independent',
      hairpin: true,
    });
    const b = await discoverNatBehaviorWith(network(nat, server5780()), primary);
    expect(b.hairpinning).toBe(true);
    expect(b.portPreservation).toBe(true);
    expect(b.summary).toMatch(/^endpoint-independent mapping, no filtering .*full cone.*hole punching works/);
    expect(b.summary).toMatch(/Hairpinning works/);
  });

  test('port-restricted cone summary', async () => {
    const nat = new SimulatedNat({
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
    });
    const b = await discoverNatBehaviorWith(network(nat, server5780()), primary);
    expect(b.hairpinning).toBe(false);
    expect(b.summary).toMatch(
      /^endpoint-independent mapping, port-restricted filtering: hole punching works with most peers\. No hairpinning/,
    );
  });

  test('symmetric NAT without port preservation', async () => {
    const nat = new SimulatedNat({
      mapping: 'address-and-port-dependent',
      filtering: 'address-and-port-dependent',
      preservePort: false,
    });
    const b = await discoverNatBehaviorWith(network(nat, server5780()), primary);
    expect(b.portPreservation).toBe(false);
    expect(b.summary).toMatch(/symmetric.*TURN relay/);
    expect(b.summary).toMatch(/not preserved/);
  });

  test('no NAT: mapped equals local', async () => {
    const b = await discoverNatBehaviorWith(network(undefined, server5780()), primary);
    expect(b.natPresent).toBe(false);
    expect(b.mapping).toBe('no-nat');
    expect(b.filtering).toBe('endpoint-independent');
    expect(b.hairpinning).toBeUndefined();
    expect(b.summary).toMatch(/public and open/);
  });

  test('a server without RFC 5780 support: mapped address only, reasons in notes', async () => {
    const nat = new SimulatedNat({
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
    });
    const b = await discoverNatBehaviorWith(network(nat, new StunBindingServer({ primary })), primary);
    expect(b.rfc5780).toBe(false);
    expect(b.mapping).toBe('unknown');
    expect(b.filtering).toBe('unknown');
    expect(b.mapped.address).toBe(PUBLIC_IP);
    expect(b.notes[0]).toMatch(/does not support RFC 5780/);
  });

  test('no answer at all is one clear error', async () => {
    const silent = async (): Promise<BindingProbe> => ({
      local: v4(HOST_IP, 1),
      binding: async () => undefined,
      hairpin: async () => false,
      close() {},
    });
    await expect(discoverNatBehaviorWith(silent, primary)).rejects.toThrow(
      /no answer from STUN server 203\.0\.113\.10:3478/,
    );
  });
});
