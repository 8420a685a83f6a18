// nat-check, candidates, stun-server.
import { formatCandidateTable, gatherCandidates } from '@p2pcat/gather';
import { discoverNatBehavior, HostPortError, startStunServer } from '@p2pcat/stun';
import type { Command } from './args.js';
import { turnTlsOptions } from './endpoint.js';
import { ExitCode, UserError } from './exit-codes.js';
import { describePortAllocation, hardNatProfileOf } from './hard-nat.js';
import type { Reporter } from './reporter.js';

export async function runNatCheck(
  cmd: Extract<Command, { kind: 'nat-check' }>,
  reporter: Reporter,
): Promise<number> {
  const server = cmd.stunServers[0];
  if (!server) throw new UserError('nat-check needs a STUN server: --stun HOST:PORT', ExitCode.Usage);
  reporter.info(
    `Asking ${server} (needs RFC 5780 support: coturn with two addresses, or p2pcat stun-server --alt) ...`,
  );
  let b: Awaited<ReturnType<typeof discoverNatBehavior>>;
  try {
    b = await discoverNatBehavior(server);
  } catch (e) {
    // A server name is resolved by discoverNatBehavior (system resolver, /etc/hosts honoured); a
    // name that does not resolve is "STUN server x:3478: the name does not resolve (ENOTFOUND)".
    if (e instanceof HostPortError) throw new UserError(`nat-check: ${e.message}`, ExitCode.Usage);
    throw new UserError(`nat-check failed: ${(e as Error).message}`, ExitCode.NoConnection);
  }
  // How the NAT picks ports (issue 17): one socket asks the server's two ports (RFC 5780 servers
  // answer on port + 1 too) and any other --stun servers; sequential and random call for different
  // probing, and random against another symmetric NAT means no direct path.
  const portAllocation = await allocationOf([server, alternatePort(server), ...cmd.stunServers.slice(1)]);
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ ...b, portAllocation })}\n`);
  } else {
    process.stdout.write(`${b.summary}\n`);
    process.stdout.write(`${describePortAllocation(portAllocation)}\n`);
    if (cmd.verbose) process.stdout.write(`${JSON.stringify(b, null, 2)}\n`);
  }
  return ExitCode.Success;
}

function alternatePort(server: string): string {
  const m = /^(.*):(\d+)$/.exec(server);
  return m ? `${m[1]}:${Number(m[2]) + 1}` : `${server}:3479`;
}

async function allocationOf(servers: string[]) {
  const g = gatherCandidates({ stunServers: servers, portMapping: false, ipv6: false, timeout: 2000 });
  await g.done;
  const profile = hardNatProfileOf(g.reflexive);
  await g.close();
  return profile;
}

export async function runCandidates(
  cmd: Extract<Command, { kind: 'candidates' }>,
  reporter: Reporter,
): Promise<number> {
  const g = gatherCandidates({
    stunServers: cmd.stunServers,
    turnServers: cmd.turnServers,
    portMapping: cmd.portMapping,
    ipv4: cmd.ipv4,
    ipv6: cmd.ipv6,
    includeLoopback: cmd.loopback,
    turnTls: turnTlsOptions(cmd.turnInsecure),
  });
  const all = await g.done;
  if (cmd.json) {
    for (const { base, ...c } of all) process.stdout.write(`${JSON.stringify({ ...c, base: base.local })}\n`);
  } else {
    process.stdout.write(`${formatCandidateTable(all)}\n`);
  }
  for (const f of g.failures) reporter.info(`note: ${f.source}: ${f.message}`);
  await g.close();
  return all.length ? ExitCode.Success : ExitCode.NoConnection;
}

export async function runStunServer(
  cmd: Extract<Command, { kind: 'stun-server' }>,
  signal: AbortSignal,
): Promise<number> {
  let server: Awaited<ReturnType<typeof startStunServer>>;
  try {
    server = await startStunServer({ listen: cmd.listen, ...(cmd.alt ? { alternate: cmd.alt } : {}) });
  } catch (e) {
    throw new UserError(`cannot start the STUN server: ${(e as Error).message}`, ExitCode.Usage);
  }
  for (const a of server.addresses)
    process.stderr.write(`p2pcat stun-server: listening on ${a.address}:${a.port} (UDP, TCP)\n`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  return ExitCode.Success;
}
