#!/usr/bin/env node
// p2pcat's entry point: parse, run, and turn every failure into one line and a documented exit code.
import { createRequire } from 'node:module';
import { type Command, parseCommand, USAGE } from './args.js';
import { escapeForTerminal } from './escape.js';
import { ExitCode, UserError } from './exit-codes.js';
import { Reporter } from './reporter.js';
import { runCandidates, runNatCheck, runStunServer } from './subcommands.js';
import { runTransfer } from './transfer.js';

async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCommand(argv);
  } catch (e) {
    process.stderr.write(`p2pcat: ${(e as Error).message}\n`);
    return ExitCode.Usage;
  }
  if (cmd.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Success;
  }
  if (cmd.kind === 'version') {
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(`p2pcat ${pkg.version}\n`);
    return ExitCode.Success;
  }
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(ExitCode.Interrupted); // a second Ctrl-C does not wait for cleanup
    interrupted = true;
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const json = 'json' in cmd && cmd.json;
  const reporter = new Reporter({
    json,
    verbose: 'verbose' in cmd && cmd.verbose,
    quiet: 'quiet' in cmd && cmd.quiet,
    isTty: process.stderr.isTTY === true,
  });
  try {
    switch (cmd.kind) {
      case 'invite':
      case 'join':
        return await runTransfer(cmd, reporter, abort.signal);
      case 'nat-check':
        return await runNatCheck(cmd, reporter);
      case 'candidates':
        return await runCandidates(cmd, reporter);
      case 'stun-server':
        return await runStunServer(cmd, abort.signal);
    }
  } catch (e) {
    reporter.finish();
    const err =
      interrupted && !(e instanceof UserError && e.exitCode === ExitCode.IntegrityFailure)
        ? new UserError('interrupted: the peer was told, nothing partial was kept', ExitCode.Interrupted)
        : e instanceof UserError
          ? e
          : new UserError(`unexpected error: ${(e as Error)?.message ?? String(e)}`, ExitCode.TransferError);
    if (json) reporter.event('error', { message: err.message, exitCode: err.exitCode });
    // The message may quote the peer (an ABORT reason, a file name): never raw on the terminal.
    process.stderr.write(`p2pcat: ${escapeForTerminal(err.message)}\n`);
    return err.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets, timers and the terminal may keep the loop alive: everything that matters is done.
    setTimeout(() => process.exit(code), 50).unref();
    process.stdout.write('', () => process.exit(code));
  },
  (e) => {
    process.stderr.write(`p2pcat: unexpected error: ${(e as Error)?.message}\n`);
    process.exit(ExitCode.TransferError);
  },
);
