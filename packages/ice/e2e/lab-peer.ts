// An ICE peer for the NAT lab, run inside a network namespace: host candidates of the namespace, a
// server-reflexive candidate from a STUN Binding on each base, optionally a TURN relay sharing the base
// socket. Line protocol: out "desc <json>", in "remote <json>", out "connected <ms>", "selected <ms> <l> <r>",
// "recv <text>"; in "send <text>", "quit". Times are ms since "remote" arrived.

import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import {
  decodeStunMessage,
  isStunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
} from '@p2pcat/stun';
import { TurnSocket } from '@p2pcat/turn';
import { IceConnection, type IceDescription, type IceTransport } from '../src/index.js';

interface Config {
  role: 'controlling' | 'controlled';
  stun: TransportAddress;
  turn?: { server: TransportAddress; username: string; password: string };
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const out = (l: string) => process.stdout.write(`${l}\n`);

async function reflexive(conn: IceConnection, base: TransportAddress): Promise<void> {
  const b = new StunMessageBuilder('request', StunMethod.Binding);
  const id = Buffer.from(b.transactionId).toString('hex');
  const req = b.build({ fingerprint: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    conn.addInterceptor((data, _from, at) => {
      if (at.port !== base.port || !isStunMessage(data)) return false;
      const m = decodeStunMessage(data);
      if (Buffer.from(m.transactionId).toString('hex') !== id) return false;
      const mapped = m.get('XOR_MAPPED_ADDRESS');
      if (mapped) conn.addServerReflexive(mapped, base, cfg.stun);
      clearTimeout(timer);
      resolve();
      return true;
    });
    for (let i = 0; i < 3; i++) setTimeout(() => conn.sendFromBase(base, req, cfg.stun), i * 300);
  });
}

let turnRef: TurnSocket | undefined;

async function main(): Promise<void> {
  const conn = new IceConnection({ role: cfg.role });
  const desc0 = await conn.gather();
  void desc0;
  const bases = conn.agent
    .getLocalCandidates()
    .filter((c) => c.type === 'host')
    .map((c) => c.address);
  await Promise.all(bases.map((b) => reflexive(conn, b)));
  if (cfg.turn && bases[0]) {
    const base = bases[0];
    const turn = new TurnSocket({
      server: cfg.turn.server,
      username: cfg.turn.username,
      password: cfg.turn.password,
      transport: { send: (data, dest) => conn.sendFromBase(base, data, dest) },
    });
    conn.addInterceptor((data, from, at) => at.port === base.port && turn.handleDatagram(data, from));
    turn.on('warning', (e: Error) => out(`warn turn ${e.message}`));
    await turn.allocate();
    out(`relay ${JSON.stringify(turn.relayedAddress)}`);
    conn.addRelay(turn, cfg.turn.server);
    turnRef = turn;
  }
  out(`desc ${JSON.stringify(conn.localDescription())}`);
  let t0 = 0;
  const turnStats = () => (turnRef ? JSON.stringify(turnRef.stats) : '');
  const warnings: string[] = [];
  conn.on('warning', (e: Error) => warnings.push(e.message));
  let transport: IceTransport | undefined;
  conn.on('selected-pair', (p) =>
    out(
      `selected ${(performance.now() - t0).toFixed(1)} ${p.local.type} ${p.remote.type} rtt ${p.stats.rtt?.toFixed(1)}`,
    ),
  );
  conn.on('state', (s, r) => out(`state ${s}${r ? ` ${r}` : ''} ${(performance.now() - t0).toFixed(1)}`));
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.startsWith('remote ')) {
      t0 = performance.now();
      conn.setRemoteDescription(JSON.parse(line.slice(7)) as IceDescription);
      conn.connect().then(
        (t) => {
          transport = t;
          t.onMessage((d) => out(`recv ${new TextDecoder().decode(d)}`));
          out(`connected ${(performance.now() - t0).toFixed(1)}`);
        },
        (e: Error) => out(`error ${e.message}`),
      );
    } else if (line.startsWith('send ')) transport?.send(new TextEncoder().encode(line.slice(5)));
    else if (line === 'dump') {
      const pairs = conn.agent.getPairs().map((p) => ({
        l: `${p.local.type} ${p.local.address.address}:${p.local.address.port}`,
        r: `${p.remote.type} ${p.remote.address.address}:${p.remote.address.port}`,
        state: p.state,
        valid: p.valid,
        nominated: p.nominated,
        sent: p.stats.requestsSent,
        rtt: p.stats.rtt,
        rsent: p.stats.responsesSent,
        rrecv: p.stats.responsesReceived,
        reqrecv: p.stats.requestsReceived,
      }));
      out(
        `dump ${JSON.stringify({ pairs, dropped: conn.agent.dropped, state: conn.state, warnings, turn: turnStats() })}`,
      );
    } else if (line === 'quit') {
      conn.close();
      process.exit(0);
    }
  });
}

main().catch((e: Error) => {
  out(`error ${e.message}`);
  process.exit(1);
});
