// Command-line parsing (node:util parseArgs) into one typed command, or a usage error (exit 2).
import { parseArgs } from 'node:util';
import { ExitCode, UserError } from './exit-codes.js';

export const DEFAULT_STUN_SERVERS = ['stun.l.google.com:19302', 'stun.cloudflare.com:3478'];

export const USAGE = `p2pcat: an encrypted pipe or file transfer between two machines behind NATs

  p2pcat --invite [--send PATH...]      print an invite, wait for the answer, transfer
  p2pcat INVITE [--send PATH...]        join: print the answer, connect, transfer
  p2pcat --join INVITE [--send PATH...] the same, with the invite as an option
  p2pcat nat-check [--stun HOST:PORT]   what NAT am I behind? (RFC 5780)
  p2pcat candidates [--stun ...] [--turn ...]   the candidate table of this machine
  p2pcat stun-server --listen ADDR:PORT [--alt ADDR:PORT]   run a STUN server

Without --send, p2pcat is a pipe: standard input goes to the peer, the peer's data to standard
output; EOF half-closes. With --send, files and directories go to the peer. Only a side that does
not send receives files: it shows what is offered and asks (--yes for scripts), then writes them
into the current directory (or --out DIR).

Options:
  --send PATH...         send these files/directories (the paths follow the option)
  --out DIR              where received files go (default: current directory)
  --force                overwrite existing files when receiving
  -y, --yes              accept what p2pcat would ask about on the terminal: the files the peer
                         offers, an answer that arrived directly from the network
  --allow-hidden         accept received names that start with a dot (refused by default)
  --confirm              both people compare the verification code before any data flows
  --idle-timeout SECONDS end the session when a connected peer sends nothing this long (default 300)
  --invite-to FILE       also write the invite to FILE
  --answer-from FILE|-   read the answer from FILE (waits for it) or standard input; default: the terminal
  --answer-to FILE       (joining side) also write the answer to FILE
  --answer-wait SECONDS  (joining side) how long to wait for the other side to use the answer
                         (default 600, never past the invite's expiry); then --timeout applies
  --stun HOST:PORT       STUN server; repeatable; replaces the default list (--no-stun: none)
  --turn URL             TURN relay: turn:USER:PASS@HOST:PORT[?transport=tcp] or turns:...; repeatable
  --turn-insecure        accept any TLS certificate from turns: servers (self-signed ones); the data
                         stays end-to-end encrypted, but the TURN login is exposed to an impostor
  --no-portmap           do not map a port on the router (UPnP-IGD / NAT-PMP / PCP)
  --no-hard-nat          do not probe through symmetric NATs when ordinary checks fail
  --ipv4, --ipv6         use only this address family
  --loopback             also use loopback addresses (same-machine tests)
  --timeout SECONDS      give up finding a path after this long (default 60)
  --expiry MINUTES       how long an invite stays valid (default 30)
  -v, --verbose          show candidates, pairs and the selected pair
  --json                 events as JSON lines on standard error
  -q, --quiet            no progress, no summary
  -h, --help             this text;  --version  the version

Exit codes: 0 success, 1 transfer error, 2 usage or bad token, 3 no connection, 4 peer aborted,
5 integrity or hash mismatch, 130 interrupted.`;

export interface CommonOptions {
  stunServers: string[];
  turnServers: string[];
  /** turns: certificates are not verified */
  turnInsecure: boolean;
  portMapping: boolean;
  /** the hard-NAT extension (port prediction, birthday probing); --no-hard-nat turns it off */
  hardNat: boolean;
  ipv4: boolean;
  ipv6: boolean;
  loopback: boolean;
  timeoutMs: number;
  /** accept offered files and an in-band answer without asking on the terminal */
  yes: boolean;
  /** accept received names with a leading dot */
  allowHidden: boolean;
  /** ask the person to confirm the verification code before any data flows */
  confirm: boolean;
  /** ms without anything from a connected peer before the session ends (exit 4) */
  idleTimeoutMs: number;
  verbose: boolean;
  json: boolean;
  quiet: boolean;
}

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | ({
      kind: 'invite';
      sendPaths: string[] | undefined;
      outDir: string;
      force: boolean;
      inviteTo: string | undefined;
      answerFrom: string | undefined;
      expiryMinutes: number;
    } & CommonOptions)
  | ({
      kind: 'join';
      token: string;
      sendPaths: string[] | undefined;
      outDir: string;
      force: boolean;
      answerTo: string | undefined;
      /** ms the joiner waits for its answer to be used (default 10 minutes) */
      answerWaitMs: number;
    } & CommonOptions)
  | ({ kind: 'nat-check' } & CommonOptions)
  | ({ kind: 'candidates' } & CommonOptions)
  | { kind: 'stun-server'; listen: string; alt: string | undefined };

const usage = (message: string) => new UserError(`${message} (see p2pcat --help)`, ExitCode.Usage);

function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${name} takes a positive number, not "${text}"`);
  return n;
}

export function parseCommand(argv: string[]): Command {
  let parsed: ReturnType<typeof run>;
  const run = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        invite: { type: 'boolean' },
        join: { type: 'string' },
        send: { type: 'boolean' },
        out: { type: 'string' },
        force: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        'allow-hidden': { type: 'boolean' },
        confirm: { type: 'boolean' },
        'idle-timeout': { type: 'string' },
        'invite-to': { type: 'string' },
        'answer-from': { type: 'string' },
        'answer-to': { type: 'string' },
        'answer-wait': { type: 'string' },
        stun: { type: 'string', multiple: true },
        'no-stun': { type: 'boolean' },
        turn: { type: 'string', multiple: true },
        'turn-insecure': { type: 'boolean' },
        'no-portmap': { type: 'boolean' },
        'no-hard-nat': { type: 'boolean' },
        ipv4: { type: 'boolean' },
        ipv6: { type: 'boolean' },
        loopback: { type: 'boolean' },
        timeout: { type: 'string' },
        expiry: { type: 'string' },
        listen: { type: 'string' },
        alt: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  try {
    parsed = run();
  } catch (e) {
    throw usage((e as Error).message.split(/\. /)[0]!.replace(/\.$/, ''));
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  if (v.ipv4 && v.ipv6) throw usage('--ipv4 and --ipv6 exclude each other');
  if (v.yes && v.confirm)
    throw usage('--yes and --confirm exclude each other (--confirm asks the person to compare the code)');
  const common: CommonOptions = {
    stunServers: v['no-stun'] ? [] : (v.stun ?? DEFAULT_STUN_SERVERS),
    turnServers: v.turn ?? [],
    turnInsecure: v['turn-insecure'] ?? false,
    portMapping: !v['no-portmap'],
    hardNat: !v['no-hard-nat'],
    ipv4: !v.ipv6,
    ipv6: !v.ipv4,
    loopback: v.loopback ?? false,
    timeoutMs: positiveNumber(v.timeout, '--timeout', 60) * 1000,
    yes: v.yes ?? false,
    allowHidden: v['allow-hidden'] ?? false,
    confirm: v.confirm ?? false,
    idleTimeoutMs: positiveNumber(v['idle-timeout'], '--idle-timeout', 300) * 1000,
    verbose: v.verbose ?? false,
    json: v.json ?? false,
    quiet: v.quiet ?? false,
  };
  const sub = pos[0];
  if (!v.invite && v.join === undefined) {
    if (sub === 'nat-check' || sub === 'candidates') {
      if (pos.length > 1) throw usage(`${sub} takes no arguments`);
      return { kind: sub, ...common };
    }
    if (sub === 'stun-server') {
      if (!v.listen) throw usage('stun-server needs --listen ADDR:PORT');
      return { kind: 'stun-server', listen: v.listen, alt: v.alt };
    }
  }
  const receive = { outDir: v.out ?? '.', force: v.force ?? false };
  if (v.invite) {
    if (v.join !== undefined) throw usage('--invite and --join exclude each other');
    if (v['answer-to'] || v['answer-wait'] !== undefined)
      throw usage('--answer-to and --answer-wait are for the joining side');
    if (pos.length > 0 && !v.send)
      throw usage(`unexpected argument "${pos[0]}" (to send files, use --send PATH...)`);
    if (v.send && pos.length === 0) throw usage('--send needs at least one file or directory');
    return {
      kind: 'invite',
      sendPaths: v.send ? pos : undefined,
      ...receive,
      inviteTo: v['invite-to'],
      answerFrom: v['answer-from'],
      expiryMinutes: positiveNumber(v.expiry, '--expiry', 30),
      ...common,
    };
  }
  if (v['invite-to'] || v['answer-from'])
    throw usage('--invite-to and --answer-from are for the inviting side');
  let token: string;
  let paths: string[];
  if (v.join !== undefined) {
    token = v.join;
    paths = pos;
  } else if (v.send) {
    if (pos.length === 0) throw usage('give the invite first, then --send PATH...');
    token = pos[0]!;
    paths = pos.slice(1);
  } else {
    if (pos.length === 0) throw usage('nothing to do: give an invite to join, or --invite to start');
    token = pos.join(''); // a token pasted unquoted with spaces arrives in pieces
    paths = [];
  }
  if (v.send && paths.length === 0) throw usage('--send needs at least one file or directory');
  if (!v.send && paths.length > 0)
    throw usage(`unexpected argument "${paths[0]}" (to send files, use --send PATH...)`);
  return {
    kind: 'join',
    token,
    sendPaths: v.send ? paths : undefined,
    ...receive,
    answerTo: v['answer-to'],
    answerWaitMs: positiveNumber(v['answer-wait'], '--answer-wait', 600) * 1000,
    ...common,
  };
}
