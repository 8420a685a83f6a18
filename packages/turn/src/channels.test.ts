import type { TransportAddress } from '@p2pcat/stun/core';
import { describe, expect, it } from 'vitest';
import { CHANNEL_LIFETIME, CHANNEL_MAX, CHANNEL_MIN, CHANNEL_REFRESH, ChannelTable } from './channels.js';

const A: TransportAddress = { family: 'IPv4', address: '203.0.113.5', port: 6000 };
const A2: TransportAddress = { ...A, port: 7000 };
const B: TransportAddress = { family: 'IPv4', address: '203.0.113.6', port: 6000 };

describe('ChannelTable (RFC 8656 §12)', () => {
  it('gives each peer transport address its own number from 0x4000 up, and keeps it', () => {
    const t = new ChannelTable();
    const a = t.ensure(A)!;
    expect(a).toMatchObject({ created: true, channel: { number: CHANNEL_MIN, bound: false } });
    expect(t.ensure(A)).toEqual({ channel: a.channel, created: false });
    expect(t.ensure(A2)!.channel.number).toBe(CHANNEL_MIN + 1);
    expect(t.forPeer(A2)?.number).toBe(CHANNEL_MIN + 1);
    expect(t.withNumber(CHANNEL_MIN)?.peer).toEqual(A);
  });

  it('runs out after 0x4FFF: the peer is then reached with Send indications', () => {
    const t = new ChannelTable();
    for (let n = CHANNEL_MIN; n <= CHANNEL_MAX; n++) {
      expect(t.ensure({ family: 'IPv4', address: '198.51.100.1', port: n })!.channel.number).toBe(n);
    }
    expect(t.ensure(B)).toBeUndefined();
  });

  it('delivers ChannelData only on a bound, unexpired channel (RFC 8656 §12.6), rebinding at 480 s', () => {
    const t = new ChannelTable();
    const { channel } = t.ensure(A)!;
    expect(t.deliverable(channel.number, 0)).toBeUndefined();
    expect(t.bound(channel.number, B, 0)).toBeUndefined(); // another peer's answer
    expect(t.bound(0x4999, A, 0)).toBeUndefined();
    expect(t.bound(channel.number, A, 1000)?.first).toBe(true);
    expect(t.deliverable(channel.number, 1000 + CHANNEL_LIFETIME - 1)).toBe(channel);
    expect(t.deliverable(channel.number, 1000 + CHANNEL_LIFETIME)).toBeUndefined();
    expect(t.nextRefresh()).toBe(1000 + CHANNEL_REFRESH);
    expect([...t.due(1000 + CHANNEL_REFRESH)]).toEqual([channel]);
    channel.inFlight = true;
    expect([...t.due(1000 + CHANNEL_REFRESH)]).toEqual([]);
    expect(t.bound(channel.number, A, 500_000)?.first).toBe(false);
    expect(channel).toMatchObject({ inFlight: false, expiresAt: 500_000 + CHANNEL_LIFETIME });
  });

  it('a refused ChannelBind leaves the channel unbound and its number unused by others', () => {
    const t = new ChannelTable();
    const { channel } = t.ensure(A)!;
    channel.inFlight = true;
    t.refused(channel.number);
    expect(channel).toMatchObject({ bound: false, inFlight: false, refreshAt: Number.POSITIVE_INFINITY });
    expect(t.ensure(B)!.channel.number).toBe(CHANNEL_MIN + 1);
    t.refused(0x4999); // unknown: ignored
  });

  it('deleteForAddress drops every port of an IP address; numbers are never reused', () => {
    const t = new ChannelTable();
    t.ensure(A);
    t.ensure(A2);
    t.ensure(B);
    t.deleteForAddress(A.address);
    expect(t.forPeer(A)).toBeUndefined();
    expect(t.withNumber(CHANNEL_MIN + 1)).toBeUndefined();
    expect([...t.values()].map((c) => c.peer)).toEqual([B]);
    t.clear();
    expect(t.ensure(A)!.channel.number).toBe(CHANNEL_MIN + 3);
  });
});
