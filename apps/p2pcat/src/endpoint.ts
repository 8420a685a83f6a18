// One side of a p2pcat connection: gathers candidates (gather package), runs the ICE agent on
// the very sockets that gathering used (the NAT holes were punched for them), and turns the
// selected pair into a pseudo-TCP byte stream.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { Gathering } from '@p2pcat/gather';
import {
  connectWithServers,
  type HardNatEvent,
  type HardNatProfile,
  type IceConnection as IceConnectionType,
  type PairInfo,
} from '@p2pcat/ice';
import {
  createPseudoTcpStream,
  enlargeSocketBuffers,
  nativeBatchSend,
  type PseudoTcpStream,
} from '@p2pcat/pseudotcp';
import type { TransportAddress } from '@p2pcat/stun';
import { ExitCode, UserError } from './exit-codes.js';
import { describeHardNatEvent, hardNatProfileOf } from './hard-nat.js';
import {
  isInbandAnswer,
  isTakenNotice,
  openInbandAnswer,
  openTakenNotice,
  sealTakenNotice,
} from './inband-answer.js';
import { credentialsFromBytes, PWD_BYTES, type Token, type TokenCandidate, UFRAG_BYTES } from './token.js';

/** Pseudo-TCP conversation id: its first byte (0x50) is application data in RFC 7983's ranges. */
export const CONVERSATION = 0x50324331;

export interface EndpointOptions {
  role: 'inviter' | 'joiner';
  stunServers: string[];
  turnServers: string[];
  /** accept any certificate from turns: servers */
  turnInsecure?: boolean;
  portMapping: boolean;
  ipv4: boolean;
  ipv6: boolean;
  /** also use loopback addresses (tests, same-machine transfers) */
  includeLoopback?: boolean;
  gatherTimeout?: number;
  /** ms to find a path once both sides have each other's candidates */
  connectTimeout: number;
  /**
   * Joiner only: ms its answer may take to reach the inviter (a human pastes it) on top of
   * connectTimeout. Meanwhile its checks keep going at a steady pace, which keeps its NAT's
   * bindings open, so the inviter's first checks after the paste find the way in.
   */
  answerWaitMs?: number;
  /** the hard-NAT extension: announced in the token, run when both sides announce it (default off) */
  hardNat?: boolean;
  /** each hard-NAT event (what was tried), for --json */
  onHardNat?: (e: HardNatEvent) => void;
  log?: (line: string) => void;
  /** lines the user must see even without -v (a TURN server given on the command line failed) */
  warn?: (line: string) => void;
}

export interface PreparedEndpoint {
  ice: IceConnectionType;
  gathering: Gathering;
  ufragBytes: Uint8Array;
  pwdBytes: Uint8Array;
  candidates: TokenCandidate[];
  /** our NAT's profile for the token, when the hard-NAT extension is on and the NAT was classified */
  hardNatProfile?: HardNatProfile;
  close(): Promise<void>;
}

function tokenType(t: string): TokenCandidate['type'] {
  return t === 'relay' ? 'relay' : t === 'srflx' ? 'srflx' : t === 'prflx' ? 'prflx' : 'host';
}

export async function prepareEndpoint(opts: EndpointOptions): Promise<PreparedEndpoint> {
  const ufragBytes = randomBytes(UFRAG_BYTES);
  const pwdBytes = randomBytes(PWD_BYTES);
  const batchSend = nativeBatchSend();
  const connection = await connectWithServers({
    role: opts.role === 'inviter' ? 'controlling' : 'controlled',
    credentials: credentialsFromBytes(ufragBytes, pwdBytes),
    timing: iceTiming(opts),
    stun: opts.stunServers,
    turn: opts.turnServers,
    portMapping: opts.portMapping,
    ipv4: opts.ipv4,
    ipv6: opts.ipv6,
    includeLoopback: opts.includeLoopback ?? false,
    excludeInterfaces: [/^docker/, /^br-/, /^veth/, /^virbr/],
    gatherTimeout: opts.gatherTimeout ?? 3000,
    turnTls: turnTlsOptions(opts.turnInsecure ?? false),
    // Application data in batched system calls where the native addon is built (Linux).
    ...(batchSend ? { batchSend } : {}),
    // the hard-NAT extension is armed here; our profile is set once gathering is over (below)
    ...(opts.hardNat ? { hardNat: {} } : {}),
  });
  const { ice, gathering } = connection;
  const noted = new Set<string>();
  ice.on('warning', (e: Error) => {
    // Datagrams that could not be sent (a peer's candidate with port 0, ...): once each, with -v.
    if (noted.has(e.message)) return;
    noted.add(e.message);
    opts.log?.(e.message);
  });
  const gathered = await connection.gathered;
  for (const f of gathering.failures) {
    if (/^turns?:/.test(f.source)) opts.warn?.(`warning: TURN server ${f.source}: ${tlsHint(f.message)}`);
    // A STUN server name that does not resolve is seen without -v: it is a typo or a DNS problem
    // the person can act on (issue: names that were silently useless).
    else if (/resolve/.test(f.message)) opts.warn?.(`warning: ${f.source}: ${f.message}`);
    // A double NAT makes a port mapping useless: say why no mapped candidate is offered.
    else if (f.source === 'port mapping') opts.warn?.(`note: ${f.message}`);
    else opts.log?.(`candidate source ${f.source}: ${f.message}`);
  }
  if (gathered.length === 0) {
    await connection.close();
    throw new UserError(
      'no usable network address on this machine (is the network up?)',
      ExitCode.NoConnection,
    );
  }
  // Pseudo-TCP's bursts need more than the default socket buffers (see enlargeSocketBuffers).
  for (const hb of gathering.hostBases) {
    const refused = enlargeSocketBuffers(hb.socket);
    if (refused) opts.log?.(`cannot enlarge the UDP socket buffers: ${refused.message}`);
  }
  // Our NAT's profile (issue 17) from every server's answer, repeats included: announced in the
  // token and given to the agent, which probes only when the peer announced one too.
  const hardNatProfile = opts.hardNat ? hardNatProfileOf(gathering.reflexive) : undefined;
  if (hardNatProfile) {
    ice.agent.setLocalHardNatProfile(hardNatProfile);
    opts.log?.(
      `hard NAT: our NAT maps ${hardNatProfile.mapping === 'sequential' ? `sequentially (step ${hardNatProfile.step}, last port ${hardNatProfile.lastPort})` : hardNatProfile.mapping === 'open' ? 'one port for all destinations' : 'a random port per destination'}`,
    );
    ice.on('hard-nat', (e: HardNatEvent) => {
      opts.log?.(describeHardNatEvent(e));
      opts.onHardNat?.(e);
    });
  }
  const candidates: TokenCandidate[] = ice.agent.getLocalCandidates().map((c) => ({
    type: tokenType(c.type),
    address: c.address.address,
    port: c.address.port,
    priority: c.priority,
    foundation: c.foundation,
  }));
  return {
    ice,
    gathering,
    ufragBytes,
    pwdBytes,
    candidates,
    ...(hardNatProfile ? { hardNatProfile } : {}),
    // Gathering first (TURN allocations deleted, port mappings removed through the host sockets),
    // then ICE: connectWithServers keeps that order.
    close: () => connection.close(),
  };
}

/** turns: certificates are verified against the system CAs (and NODE_EXTRA_CA_CERTS) unless insecure. */
export function turnTlsOptions(insecure: boolean): { rejectUnauthorized: boolean } {
  return { rejectUnauthorized: !insecure };
}

function tlsHint(message: string): string {
  return /certificate|self.signed|CERT_|altnames/i.test(message)
    ? `${message} (its certificate could not be verified: --turn-insecure accepts it anyway)`
    : message;
}

/** Probing pace of a joiner's checks while its answer is on its way (keeps NAT bindings open). */
export const JOINER_CHECK_INTERVAL_MS = 2000;

/** ms this side gives ICE to connect: a joiner adds the time its answer may take to arrive. */
function connectBudget(opts: EndpointOptions): number {
  return opts.connectTimeout + (opts.role === 'joiner' ? (opts.answerWaitMs ?? 0) : 0);
}

function iceTiming(opts: EndpointOptions) {
  const connectTimeout = connectBudget(opts);
  if (connectTimeout === opts.connectTimeout) return { connectTimeout };
  return {
    connectTimeout,
    maxRetransmitInterval: JOINER_CHECK_INTERVAL_MS,
    maxCheckRequests: Math.ceil(connectTimeout / JOINER_CHECK_INTERVAL_MS) + 7,
  };
}

/**
 * Datagrams to one of this machine's own addresses go through the loopback interface, whose MTU is
 * 64 KiB: pseudo-TCP may then use 32000-byte segments (a step of libnice's MTU table), which cuts
 * the per-datagram system calls twenty-fold; the round trip is microseconds, so 1 MiB buffers hold
 * the whole bandwidth-delay product and keep memory low (4 MiB measured slower and larger).
 * Elsewhere the defaults (MTU 1400, 8 MiB buffers).
 */
export function streamTuning(
  ice: IceConnectionType,
  pair: PairInfo | undefined,
): { mtu?: number; sendBufferSize?: number; receiveBufferSize?: number } {
  const p = pair ?? ice.agent.getActivePair();
  // A relayed address on this machine still sends the data on through a TURN server: not loopback.
  if (!p || isRelayed(p)) return {};
  if (!isOwnAddress(p.remote.address.address)) return {};
  return { mtu: 32000, sendBufferSize: 1024 * 1024, receiveBufferSize: 1024 * 1024 };
}

/** A pair whose data goes through a TURN relay on either side. */
export function isRelayed(pair: PairInfo): boolean {
  return pair.local.type === 'relay' || pair.remote.type === 'relay';
}

/** An address of this machine (loopback or one of its interfaces). */
export function isOwnAddress(address: string): boolean {
  if (address === '::1' || address.startsWith('127.')) return true;
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.address === address) return true;
  return false;
}

/** Resolves when ICE reaches 'completed' (the controlling side nominated); rejects on failure or after ms. */
function untilNominated(ice: IceConnectionType, ms: number): Promise<void> {
  if (ice.state === 'completed') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      reject(new UserError(why, ExitCode.NoConnection));
    };
    const onState = (state: string) => {
      if (state === 'completed') {
        cleanup();
        resolve();
      } else if (state === 'failed' || state === 'closed')
        fail('the connection to the inviter was lost before it chose a path');
    };
    const timer = setTimeout(
      () =>
        fail(
          'the inviter answered our checks but never used our answer: was the answer pasted on the inviting side?',
        ),
      Math.max(0, ms),
    );
    const cleanup = () => {
      clearTimeout(timer);
      ice.off('state', onState);
    };
    ice.on('state', onState);
  });
}

/**
 * Joiner: sends the sealed answer on every path its checks proved (the 'valid-pair' event), again
 * every second, until stopped (the inviter nominated, so it has an answer) or after a minute.
 */
export function offerInbandAnswer(ep: PreparedEndpoint, datagram: Uint8Array): () => void {
  const targets = new Map<string, { base: TransportAddress; to: TransportAddress }>();
  const send = (t: { base: TransportAddress; to: TransportAddress }) => safeSend(ep, t.base, datagram, t.to);
  const onValid = (e: { pair: PairInfo }) => {
    const t = { base: e.pair.local.base, to: e.pair.remote.address };
    const k = `${t.base.address}|${t.base.port}>${t.to.address}|${t.to.port}`;
    if (targets.has(k)) return;
    targets.set(k, t);
    send(t);
  };
  let rounds = 0;
  const timer = setInterval(() => {
    if (++rounds > 60) stop();
    else for (const t of targets.values()) send(t);
  }, 1000);
  timer.unref();
  const onState = (state: string) => {
    if (state === 'completed' || state === 'failed' || state === 'closed') stop();
  };
  function stop() {
    clearInterval(timer);
    ep.ice.off('valid-pair', onValid);
    ep.ice.off('state', onState);
  }
  ep.ice.on('valid-pair', onValid);
  ep.ice.on('state', onState);
  return stop;
}

/**
 * Inviter: calls `onAnswer` with the text of every authentic in-band answer (see inband-answer.ts).
 * Such datagrams never reach the ICE agent, authentic or not.
 */
export function listenForInbandAnswer(ep: PreparedEndpoint, onAnswer: (text: string) => void): void {
  const pwd = ep.ice.agent.localCredentials.pwd;
  ep.ice.addInterceptor((data) => {
    if (!isInbandAnswer(data)) return false;
    const text = openInbandAnswer(data, pwd);
    if (text !== undefined) onAnswer(text);
    return true;
  });
}

/** sendFromBase that never throws (a TURN relay's send may, after its allocation closed). */
function safeSend(
  ep: PreparedEndpoint,
  base: TransportAddress,
  data: Uint8Array,
  to: TransportAddress,
): void {
  try {
    ep.ice.sendFromBase(base, data, to);
  } catch {
    // dropped, like a datagram lost on the way
  }
}

/**
 * Joiner: calls `onTaken` once when the inviter says that someone else answered its invite
 * (inband-answer.ts, a notice only the holder of our answer can verify).
 */
export function listenForTakenNotice(ep: PreparedEndpoint, answerRaw: Uint8Array, onTaken: () => void): void {
  const pwd = ep.ice.agent.localCredentials.pwd;
  let told = false;
  ep.ice.addInterceptor((data) => {
    if (!isTakenNotice(data)) return false;
    if (!told && openTakenNotice(data, answerRaw, pwd)) {
      told = true;
      onTaken();
    }
    return true;
  });
}

/**
 * Inviter: sends the taken notice for `answer` to each of its candidates from every host base of
 * the same family, and along `pair` (the path of a session with that answer's holder, if any).
 */
export function sendTakenNotice(ep: PreparedEndpoint, answer: Token, pair?: PairInfo): void {
  const datagram = sealTakenNotice(answer.raw, answer.pwd);
  if (pair) safeSend(ep, pair.local.base, datagram, pair.remote.address);
  for (const hb of ep.gathering.hostBases) {
    for (const c of answer.candidates) {
      const family = c.address.includes(':') ? 'IPv6' : 'IPv4';
      if (family !== hb.local.family) continue;
      safeSend(ep, hb.local, datagram, { family, address: c.address, port: c.port });
    }
  }
}

/** Address families of candidates ('IPv4' / 'IPv6'). */
function familiesOf(candidates: TokenCandidate[]): Set<string> {
  return new Set(candidates.map((c) => (c.address.includes(':') ? 'IPv6' : 'IPv4')));
}

const familyWords = (s: Set<string>) => (s.size === 0 ? 'no candidates' : [...s].sort().join(' and '));

export interface Connected {
  stream: PseudoTcpStream;
  pair: PairInfo | undefined;
  pathType: 'direct' | 'relayed';
  /** ms from having the peer's candidates to a usable path */
  connectMs: number;
  /** the peer is on this machine: the stream uses loopback-sized segments and small buffers */
  sameMachine: boolean;
}

/** Gives the agent the peer's token and resolves once a pseudo-TCP stream is open on the selected pair. */
export async function connectToPeer(
  ep: PreparedEndpoint,
  peer: Token,
  opts: EndpointOptions,
): Promise<Connected> {
  const t0 = performance.now();
  const ours = familiesOf(ep.candidates);
  const theirs = familiesOf(peer.candidates);
  if (![...ours].some((f) => theirs.has(f))) {
    throw new UserError(
      `the two sides have no address family in common: this side has ${familyWords(ours)}, the other side ${familyWords(theirs)} (drop --ipv4 / --ipv6, or add a TURN relay reachable over both)`,
      ExitCode.NoConnection,
    );
  }
  ep.ice.setRemoteDescription({
    ufrag: peer.ufrag,
    pwd: peer.pwd,
    candidates: peer.candidates.map(
      (c) => `candidate:${c.foundation} 1 udp ${c.priority} ${c.address} ${c.port} typ ${c.type}`,
    ),
    endOfCandidates: true,
  });
  // Both sides announced the extension (their token carries a profile): it may run.
  if (peer.hardNat) ep.ice.agent.setRemoteHardNat(peer.hardNat);
  let transport: Awaited<ReturnType<IceConnectionType['connect']>>;
  try {
    transport = await ep.ice.connect();
  } catch (e) {
    const relayHint =
      opts.turnServers.length === 0
        ? 'no direct path found and no TURN server given: add --turn turn:USER:PASS@HOST:PORT'
        : 'no path found, not even through the TURN relay: check that the TURN server is reachable from both sides';
    opts.log?.((e as Error).message);
    throw new UserError(relayHint, ExitCode.NoConnection);
  }
  if (opts.role === 'joiner') {
    // Our checks can succeed (the inviter answers them) before the inviter has our answer; it
    // nominates a pair only once it has it. Pseudo-TCP opens after that, so that its connect
    // attempts do not run out while a human is still pasting.
    await untilNominated(ep.ice, connectBudget(opts) - (performance.now() - t0));
  }
  const connectMs = performance.now() - t0;
  const pair = ep.ice.selectedPair();
  // Without `close`: pseudo-TCP would close the ICE connection (and the host sockets) when the
  // stream ends, before the endpoint deleted its TURN allocations through those sockets.
  const tuning = streamTuning(ep.ice, pair);
  const stream = createPseudoTcpStream(
    {
      send: (d) => transport.send(d),
      // Batches in one sendmmsg on a host pair: pseudo-TCP then reuses its datagram memory.
      sendBatch: (d, n) => transport.sendBatch(d, n),
      onMessage: (cb) => transport.onMessage(cb),
    },
    // chunkPool: false: the pool's 256 KiB blocks raised the receiver's peak RSS by 3-5 MiB here
    // (records wait for decryption) and saved no measurable CPU (bench/p2pcat/RESULTS.md).
    { conversation: CONVERSATION, chunkPool: false, ...tuning },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UserError('the peer did not open the data stream in time', ExitCode.NoConnection)),
      opts.connectTimeout,
    );
    stream.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.once('error', (e) => {
      clearTimeout(timer);
      reject(new UserError(`the data stream failed to open: ${e.message}`, ExitCode.NoConnection));
    });
  });
  return {
    stream,
    pair,
    pathType: pair && isRelayed(pair) ? 'relayed' : 'direct',
    connectMs,
    sameMachine: tuning.mtu !== undefined,
  };
}
