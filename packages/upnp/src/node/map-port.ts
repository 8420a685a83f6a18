// mapPort(): PCP (falling back to NAT-PMP) and UPnP-IGD raced in parallel, first mapping wins;
// what the losers sent is settled by race-settlement.ts.
import { abortError } from '../abort.js';
import { NoPortMappingServiceError, PortMappingError } from '../errors.js';
import { mapViaGateway } from './gateway-mapping.js';
import type { MapPortOptions } from './map-port-options.js';
import type { PortMapping, RenewalHooks } from './mapping.js';
import { DELETE_TIMEOUT_MS } from './mapping-common.js';
import { RaceSettlement, type RaceSignals } from './race-settlement.js';
import { mapViaUpnp } from './upnp-mapping.js';

/** How long, once the race is over, a mapping request already sent is waited for. */
const SETTLE_MS = DELETE_TIMEOUT_MS;

export type { MapPortOptions };

/**
 * Maps `internalPort` on the home router. Resolves with the first mapping that works or rejects
 * after `timeoutMs` with NoPortMappingServiceError (or the most telling refusal); with an
 * AbortError when `signal` aborts.
 */
export async function mapPort(options: MapPortOptions): Promise<PortMapping> {
  validate(options);
  const timeoutMs = options.timeoutMs ?? 2000;
  const methods = options.methods ?? ['pcp', 'nat-pmp', 'upnp-igd'];
  const race = new AbortController();
  const onOuterAbort = (): void => race.abort();
  if (options.signal?.aborted) throw abortError(options.signal, 'port mapping aborted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => race.abort(), timeoutMs);
  const hooks: RenewalHooks = {
    autoRenew: options.autoRenew ?? true,
    onRenew: options.onRenew,
    onRenewError: options.onRenewError,
  };

  const settlement = new RaceSettlement();
  const giveUp = new AbortController();
  const signals: RaceSignals = {
    over: race.signal,
    giveUp: giveUp.signal,
    abandoned: (request) => settlement.abandoned(request),
  };
  const contenders: Array<Promise<PortMapping>> = [];
  const wantPcp = methods.includes('pcp');
  const wantPmp = methods.includes('nat-pmp');
  if (wantPcp || wantPmp)
    contenders.push(mapViaGateway(options, wantPcp, wantPmp, hooks, signals, timeoutMs));
  if (methods.includes('upnp-igd')) contenders.push(mapViaUpnp(options, hooks, signals, timeoutMs));
  let giveUpTimer: NodeJS.Timeout | undefined;
  let contendersDone = false;
  void Promise.allSettled(contenders).then(() => {
    contendersDone = true;
    clearTimeout(giveUpTimer);
  });

  let winner: PortMapping | undefined;
  let failed = false;
  const errors: Error[] = [];
  try {
    return await new Promise<PortMapping>((resolve, reject) => {
      let left = contenders.length;
      const fail = (): void => {
        if (winner !== undefined || failed) return;
        failed = true;
        settlement.decide(undefined);
        reject(pickError(errors, timeoutMs, options.signal));
      };
      if (left === 0) reject(new PortMappingError('no-service', 'mapPort: no method selected'));
      for (const c of contenders) {
        // tracked once handled: a late loser is placed before the winner's close stops waiting
        const handled = c.then(
          (m) => {
            if (winner === undefined && !failed) {
              winner = m;
              settlement.decide(m);
              resolve(m);
            } else settlement.lateMapping(m);
          },
          (err: Error) => {
            errors.push(err);
            left -= 1;
            if (left === 0) fail();
          },
        );
        settlement.track(handled);
      }
      race.signal.addEventListener('abort', fail);
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    race.abort(); // the losers send nothing more; a request already sent is awaited a while
    if (!contendersDone) giveUpTimer = setTimeout(() => giveUp.abort(), SETTLE_MS);
  }
}

function validate(o: MapPortOptions): void {
  const isPort = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
  if (!isPort(o.internalPort))
    throw new TypeError(`mapPort: internalPort must be 1..65535, got ${String(o.internalPort)}`);
  if (o.externalPort !== undefined && !isPort(o.externalPort)) {
    throw new TypeError(`mapPort: externalPort must be 1..65535, got ${String(o.externalPort)}`);
  }
  if (
    o.lifetime !== undefined &&
    !(Number.isInteger(o.lifetime) && o.lifetime >= 1 && o.lifetime <= 0xffffffff)
  ) {
    throw new TypeError(
      `mapPort: lifetime must be a positive whole number of seconds, got ${String(o.lifetime)}`,
    );
  }
  if (o.protocol !== undefined && o.protocol !== 'udp' && o.protocol !== 'tcp') {
    throw new TypeError(`mapPort: protocol must be 'udp' or 'tcp', got ${String(o.protocol)}`);
  }
}

function pickError(errors: Error[], timeoutMs: number, outer: AbortSignal | undefined): Error {
  if (outer?.aborted) return abortError(outer, 'port mapping aborted');
  const telling = errors.find(
    (e) =>
      e instanceof PortMappingError &&
      (e.code === 'refused' || e.code === 'decode' || e.code === 'too-large'),
  );
  if (telling !== undefined) return telling;
  return new NoPortMappingServiceError(errors, timeoutMs);
}
