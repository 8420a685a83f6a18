// Sans-IO client for one port mapping on the default gateway: PCP (RFC 6887) first, NAT-PMP
// (RFC 6886) when the gateway answers UNSUPP_VERSION or stays silent to PCP. No socket, timer or
// clock: the caller sends every pollTransmit() datagram to gateway:5351 from one UDP socket,
// feeds answers from that address and port to handleInput, and calls handleTimeout at
// pollTimeout().
import { GatewayResultError, PortMappingError } from './errors.js';
import * as natpmp from './natpmp/message.js';
import * as pcp from './pcp/message.js';
import {
  ignore,
  NATPMP_SCHEDULE,
  PCP_SCHEDULE,
  RequestTransaction,
  type RetransmitSchedule,
} from './transaction.js';

/** The protocols `GatewayMappingClient` speaks. */
export type GatewayMethod = 'pcp' | 'nat-pmp';

/** Configuration of `GatewayMappingClient`: what to map and which protocols to try. */
export interface GatewayMappingConfig {
  /** The transport protocol of the mapping. */
  protocol: 'udp' | 'tcp';
  /** The local port to map. */
  internalPort: number;
  /** external port to ask for first */
  suggestedExternalPort: number;
  /** seconds */
  lifetime: number;
  /** our IPv4 address as the gateway sees it (PCP puts it in every request, RFC 6887 §7.1) */
  clientAddress: string;
  /** 12 random bytes identifying the PCP mapping (RFC 6887 §11.1) */
  nonce: Uint8Array;
  /** Try PCP (RFC 6887). */
  usePcp: boolean;
  /** Try NAT-PMP (RFC 6886). */
  useNatPmp: boolean;
  /** with both enabled: start NAT-PMP if PCP has not answered after this many ms */
  pcpHeadStartMs: number;
  /** Random source in [0, 1) for retransmission jitter; default Math.random. */
  random?: () => number;
  /** PCP retransmission schedule; default `PCP_SCHEDULE`. */
  pcpSchedule?: RetransmitSchedule;
  /** NAT-PMP retransmission schedule; default `NATPMP_SCHEDULE`. */
  natPmpSchedule?: RetransmitSchedule;
}

/** A mapping the gateway granted. */
export interface GatewayGrant {
  /** The protocol that granted it. */
  method: GatewayMethod;
  /** The gateway's external IPv4 address. */
  externalAddress: string;
  /** The external port granted (not necessarily the one asked for). */
  externalPort: number;
  /** seconds granted */
  lifetime: number;
}

/** What `GatewayMappingClient.pollEvent` reports: mapped (or renewed), deleted, or failed. */
export type GatewayClientEvent =
  | {
      /** The gateway granted (or renewed) the mapping. */
      type: 'mapped';
      /** What it granted. */
      grant: GatewayGrant;
    }
  | {
      /** The mapping was deleted. */
      type: 'deleted';
    }
  | {
      /** The operation failed. */
      type: 'failed';
      /** Why. */
      error: PortMappingError;
    };

type PcpAnswer = pcp.PcpMapResponse | pcp.PcpVersionMismatch;

/**
 * Deleting what an unanswered MAP request may have made is best effort: a few quick tries, so that
 * a gateway that never answered that protocol does not hold up the deletion of the granted mapping.
 */
const STRAY_DELETE_SCHEDULE: RetransmitSchedule = {
  initialTimeoutMs: 250,
  maxTimeoutMs: 1000,
  maxTransmissions: 3,
  jitter: 0,
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Sans-IO PCP / NAT-PMP client for one mapping: tries PCP, falls back to NAT-PMP, renews and
 * deletes. Feed it datagrams from the gateway and timeouts; drain datagrams, timeouts and events.
 */
export class GatewayMappingClient {
  private readonly config: GatewayMappingConfig;
  private readonly random: () => number;
  private operation: 'map' | 'delete' | undefined;
  /** the protocol that granted the mapping; renew and delete use only it */
  private grantedBy: GatewayMethod | undefined;
  private grant: GatewayGrant | undefined;
  private pcpTxn: RequestTransaction<PcpAnswer> | undefined;
  private pmpAddressTxn: RequestTransaction<natpmp.NatPmpResponse> | undefined;
  private pmpMapTxn: RequestTransaction<natpmp.NatPmpResponse> | undefined;
  private pmpAddress: string | undefined;
  private pmpMap: { externalPort: number; lifetime: number } | undefined;
  private fallbackAt: number | undefined;
  /**
   * Protocols whose MAP request was sent and never answered (the one that lost to the other
   * protocol, or a start abandoned before its answer): the gateway may hold a mapping from each,
   * so `delete` deletes through them too.
   */
  private readonly strays = new Set<GatewayMethod>();
  /** the deletion under way: each protocol asked, and its outcome once known */
  private readonly deletions = new Map<GatewayMethod, PortMappingError | 'deleted' | undefined>();
  private deletePrimary: GatewayMethod | undefined;
  private readonly events: GatewayClientEvent[] = [];

  /** Throws a TypeError when neither PCP nor NAT-PMP is enabled. */
  constructor(config: GatewayMappingConfig) {
    if (!config.usePcp && !config.useNatPmp) throw new TypeError('enable PCP or NAT-PMP');
    this.config = config;
    this.random = config.random ?? Math.random;
  }

  /** The current grant, once mapped. */
  get current(): GatewayGrant | undefined {
    return this.grant;
  }

  /** Whether a map, renew or delete is in progress. */
  get busy(): boolean {
    return this.operation !== undefined;
  }

  /** Requests the mapping. */
  start(now: number): void {
    this.begin('map', now);
  }

  /** Asks again for the same mapping (RFC 6887 §11.2.1, RFC 6886 §3.3: same request). */
  renew(now: number): void {
    if (this.grant === undefined) throw new Error('renew before the mapping was granted');
    this.begin('map', now);
  }

  /**
   * Deletes the mapping: lifetime 0 (RFC 6887 §15, RFC 6886 §3.4). Also deletes, through the
   * protocol that sent it, whatever a MAP request left unanswered may have made (the protocol that
   * lost the PCP / NAT-PMP fallback race, or a `start` abandoned before its answer): a gateway that
   * got it holds a mapping nobody renews. Reports 'deleted' when any of these deletions succeeded
   * (a gateway serving both protocols from one table may hold the rule under either), at once when
   * there is nothing to delete.
   */
  delete(now: number): void {
    this.begin('delete', now);
  }

  private begin(operation: 'map' | 'delete', now: number): void {
    this.noteStrays();
    this.clear();
    this.operation = operation;
    if (operation === 'delete') {
      this.beginDelete(now);
      return;
    }
    const method = this.grantedBy ?? (this.config.usePcp ? 'pcp' : 'nat-pmp');
    if (method === 'pcp') {
      this.startPcp(now);
      if (this.grantedBy === undefined && this.config.useNatPmp && operation === 'map') {
        this.fallbackAt = now + this.config.pcpHeadStartMs;
      }
    } else this.startNatPmp(now);
  }

  private beginDelete(now: number): void {
    this.deletions.clear();
    this.deletePrimary = this.grant !== undefined ? this.grantedBy : undefined;
    const targets = new Set<GatewayMethod>(this.deletePrimary !== undefined ? [this.deletePrimary] : []);
    for (const method of this.strays) targets.add(method);
    if (targets.size === 0) {
      this.succeed(undefined); // nothing granted, nothing sent unanswered
      return;
    }
    for (const method of targets) {
      this.deletions.set(method, undefined);
      const schedule = method === this.deletePrimary ? undefined : STRAY_DELETE_SCHEDULE;
      if (method === 'pcp') this.startPcp(now, schedule);
      else this.startNatPmp(now, schedule);
    }
  }

  /** Records the MAP requests of the operation under way that were sent and are still unanswered. */
  private noteStrays(): void {
    if (this.operation !== 'map') return;
    if (this.pcpTxn?.sent && !this.pcpTxn.finished) this.strays.add('pcp');
    if (this.pmpMapTxn?.sent && !this.pmpMapTxn.finished) this.strays.add('nat-pmp');
  }

  private clear(): void {
    this.pcpTxn = undefined;
    this.pmpAddressTxn = undefined;
    this.pmpMapTxn = undefined;
    this.pmpAddress = undefined;
    this.pmpMap = undefined;
    this.fallbackAt = undefined;
  }

  private startPcp(now: number, schedule?: RetransmitSchedule): void {
    const deleting = this.operation === 'delete';
    const request = pcp.encodeMapRequest({
      nonce: this.config.nonce,
      protocol: this.config.protocol,
      internalPort: this.config.internalPort,
      // RFC 6887 §11.2.1: a renewal suggests what was assigned
      suggestedExternalPort: deleting ? 0 : (this.grant?.externalPort ?? this.config.suggestedExternalPort),
      suggestedExternalAddress: deleting ? undefined : this.grant?.externalAddress,
      lifetime: deleting ? 0 : this.config.lifetime,
      clientAddress: this.config.clientAddress,
    });
    this.pcpTxn = new RequestTransaction<PcpAnswer>(
      request,
      (bytes) => {
        const r = pcp.decodeResponse(bytes);
        if (r instanceof PortMappingError) return ignore(r.message);
        if ('unsupportedVersion' in r) return r;
        if (r.opcode !== pcp.PcpOpcode.Map) return ignore(`opcode ${r.opcode}`);
        // RFC 6887 §11.3: only an answer whose nonce, protocol and internal port match counts.
        if (r.map !== undefined) {
          if (!sameBytes(r.map.nonce, this.config.nonce)) return ignore('nonce mismatch');
          if (r.map.internalPort !== this.config.internalPort) return ignore('internal port mismatch');
        } else if (r.resultCode === 0) return ignore('MAP answer without body');
        return r;
      },
      schedule ?? this.config.pcpSchedule ?? PCP_SCHEDULE,
      this.random,
    );
    this.pcpTxn.start(now);
  }

  private startNatPmp(now: number, deleteSchedule?: RetransmitSchedule): void {
    const schedule = deleteSchedule ?? this.config.natPmpSchedule ?? NATPMP_SCHEDULE;
    const deleting = this.operation === 'delete';
    const opcode = this.config.protocol === 'udp' ? natpmp.NatPmpOpcode.MapUdp : natpmp.NatPmpOpcode.MapTcp;
    if (!deleting) {
      this.pmpAddressTxn = new RequestTransaction(
        natpmp.encodeExternalAddressRequest(),
        (bytes) => {
          const r = natpmp.decodeResponse(bytes);
          if (r instanceof PortMappingError) return ignore(r.reason);
          return r.opcode === natpmp.NatPmpOpcode.ExternalAddress ? r : ignore(`opcode ${r.opcode}`);
        },
        schedule,
        this.random,
      );
      this.pmpAddressTxn.start(now);
    }
    this.pmpMapTxn = new RequestTransaction(
      natpmp.encodeMapRequest({
        protocol: this.config.protocol,
        internalPort: this.config.internalPort,
        suggestedExternalPort: this.grant?.externalPort ?? this.config.suggestedExternalPort,
        lifetime: deleting ? 0 : this.config.lifetime,
      }),
      (bytes) => {
        const r = natpmp.decodeResponse(bytes);
        if (r instanceof PortMappingError) return ignore(r.reason);
        if (r.opcode !== opcode) return ignore(`opcode ${r.opcode}`);
        // Every NAT-PMP server speaks version 0; "unsupported version" answers our PCP request.
        if (r.resultCode === natpmp.NatPmpResultCode.UnsupportedVersion)
          return ignore('answer to the PCP request');
        if (r.kind === 'mapping' && r.internalPort !== this.config.internalPort)
          return ignore('internal port mismatch');
        return r;
      },
      schedule,
      this.random,
    );
    this.pmpMapTxn.start(now);
  }

  /** Takes a datagram from the gateway's port 5351, received at `now` (ms). */
  handleInput(bytes: Uint8Array, now: number): void {
    if (this.operation === undefined) return;
    this.pcpTxn?.handleInput(bytes, now);
    this.pmpAddressTxn?.handleInput(bytes, now);
    this.pmpMapTxn?.handleInput(bytes, now);
    this.process(now);
  }

  /** Runs the retransmissions and fallbacks due at `now` (ms). */
  handleTimeout(now: number): void {
    if (this.operation === undefined) return;
    if (this.fallbackAt !== undefined && now >= this.fallbackAt) {
      // PCP silent so far: try NAT-PMP too; whichever answers first wins.
      this.fallbackAt = undefined;
      if (this.pmpMapTxn === undefined) this.startNatPmp(now);
    }
    this.pcpTxn?.handleTimeout(now);
    this.pmpAddressTxn?.handleTimeout(now);
    this.pmpMapTxn?.handleTimeout(now);
    this.process(now);
  }

  /** The next datagram to send to the gateway's port 5351, or undefined when none is queued. */
  pollTransmit(): Uint8Array | undefined {
    return (
      this.pcpTxn?.pollTransmit() ?? this.pmpAddressTxn?.pollTransmit() ?? this.pmpMapTxn?.pollTransmit()
    );
  }

  /** When (ms) `handleTimeout` is next wanted, or undefined when nothing waits. */
  pollTimeout(): number | undefined {
    const times = [
      this.fallbackAt,
      this.pcpTxn?.pollTimeout(),
      this.pmpAddressTxn?.pollTimeout(),
      this.pmpMapTxn?.pollTimeout(),
    ].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** The next event, or undefined when none is queued. */
  pollEvent(): GatewayClientEvent | undefined {
    return this.events.shift();
  }

  private fail(error: PortMappingError): void {
    this.noteStrays();
    this.clear();
    this.operation = undefined;
    this.events.push({ type: 'failed', error });
  }

  private succeed(grant: GatewayGrant | undefined): void {
    const op = this.operation;
    this.noteStrays();
    this.clear();
    this.operation = undefined;
    if (op === 'delete' || grant === undefined) {
      this.grant = undefined;
      this.strays.clear();
      this.events.push({ type: 'deleted' });
      return;
    }
    this.strays.delete(grant.method);
    this.grantedBy = grant.method;
    this.grant = grant;
    this.events.push({ type: 'mapped', grant });
  }

  private process(now: number): void {
    if (this.operation === 'delete') {
      this.processDeletions();
      return;
    }
    this.processPcp(now);
    if (this.operation !== undefined) this.processNatPmp();
  }

  private processPcp(now: number): void {
    const txn = this.pcpTxn;
    if (txn === undefined) return;
    for (let ev = txn.pollEvent(); ev !== undefined; ev = txn.pollEvent()) {
      if (ev.type === 'ignored') continue;
      this.pcpTxn = undefined;
      const natPmpRunning = this.pmpMapTxn !== undefined;
      if (ev.type === 'timeout') {
        this.fallbackAt = undefined;
        this.strays.add('pcp'); // unanswered, not necessarily unheard
        if (natPmpRunning) return;
        if (this.config.useNatPmp && this.grantedBy === undefined && this.operation === 'map') {
          this.startNatPmp(now);
          return;
        }
        this.fail(new PortMappingError('timeout', 'no PCP answer from the gateway'));
        return;
      }
      const r = ev.response;
      if ('unsupportedVersion' in r) {
        // RFC 6887 §9: the server speaks an older version; version 0 is NAT-PMP.
        this.fallbackAt = undefined;
        if (this.config.useNatPmp && r.version === 0 && this.grantedBy === undefined) {
          if (!natPmpRunning) this.startNatPmp(now);
          return;
        }
        this.fail(new GatewayResultError('pcp', 1, `UNSUPP_VERSION (server speaks version ${r.version})`));
        return;
      }
      if (r.resultCode !== 0) {
        this.fail(new GatewayResultError('pcp', r.resultCode, pcp.pcpResultName(r.resultCode)));
        return;
      }
      if (r.map === undefined) return;
      this.succeed({
        method: 'pcp',
        externalAddress: r.map.externalAddress,
        externalPort: r.map.externalPort,
        lifetime: r.lifetime,
      });
      return;
    }
  }

  private processNatPmp(): void {
    for (const which of ['address', 'map'] as const) {
      const txn = which === 'address' ? this.pmpAddressTxn : this.pmpMapTxn;
      if (txn === undefined) continue;
      for (let ev = txn.pollEvent(); ev !== undefined; ev = txn.pollEvent()) {
        if (ev.type === 'ignored') continue;
        if (ev.type === 'timeout') {
          if (which === 'map') this.strays.add('nat-pmp'); // unanswered, not necessarily unheard
          if (this.pcpTxn !== undefined) {
            // PCP is still trying; let it finish
            this.pmpAddressTxn = undefined;
            this.pmpMapTxn = undefined;
            return;
          }
          this.fail(new PortMappingError('timeout', 'no NAT-PMP answer from the gateway'));
          return;
        }
        const r = ev.response;
        if (r.resultCode !== 0) {
          this.fail(new GatewayResultError('nat-pmp', r.resultCode, natpmp.natPmpResultName(r.resultCode)));
          return;
        }
        if (which === 'address') {
          this.pmpAddressTxn = undefined;
          if (r.kind === 'external-address') this.pmpAddress = r.externalAddress;
        } else {
          this.pmpMapTxn = undefined;
          if (r.kind === 'mapping') this.pmpMap = { externalPort: r.externalPort, lifetime: r.lifetime };
        }
      }
    }
    if (this.pmpMap !== undefined && this.pmpAddress !== undefined) {
      this.succeed({ method: 'nat-pmp', externalAddress: this.pmpAddress, ...this.pmpMap });
    }
  }

  /** Collects the answers to a deletion; done when every protocol asked has answered or timed out. */
  private processDeletions(): void {
    const pcpTxn = this.pcpTxn;
    for (let ev = pcpTxn?.pollEvent(); ev !== undefined; ev = pcpTxn?.pollEvent()) {
      if (ev.type === 'ignored') continue;
      this.pcpTxn = undefined;
      const r = ev.type === 'response' ? ev.response : undefined;
      this.deletions.set(
        'pcp',
        r === undefined
          ? new PortMappingError('timeout', 'no PCP answer to the deletion from the gateway')
          : 'unsupportedVersion' in r
            ? new GatewayResultError('pcp', 1, `UNSUPP_VERSION (server speaks version ${r.version})`)
            : r.resultCode !== 0
              ? new GatewayResultError('pcp', r.resultCode, pcp.pcpResultName(r.resultCode))
              : 'deleted',
      );
      break;
    }
    const pmpTxn = this.pmpMapTxn;
    for (let ev = pmpTxn?.pollEvent(); ev !== undefined; ev = pmpTxn?.pollEvent()) {
      if (ev.type === 'ignored') continue;
      this.pmpMapTxn = undefined;
      const r = ev.type === 'response' ? ev.response : undefined;
      this.deletions.set(
        'nat-pmp',
        r === undefined
          ? new PortMappingError('timeout', 'no NAT-PMP answer to the deletion from the gateway')
          : r.resultCode !== 0
            ? new GatewayResultError('nat-pmp', r.resultCode, natpmp.natPmpResultName(r.resultCode))
            : 'deleted',
      );
      break;
    }
    const outcomes = [...this.deletions.values()];
    if (outcomes.includes(undefined)) return;
    if (outcomes.includes('deleted')) {
      this.succeed(undefined);
      return;
    }
    const primary = this.deletePrimary !== undefined ? this.deletions.get(this.deletePrimary) : undefined;
    const error = [primary, ...outcomes].find((o): o is PortMappingError => o instanceof PortMappingError);
    this.fail(error ?? new PortMappingError('timeout', 'the gateway did not confirm the deletion'));
  }
}
