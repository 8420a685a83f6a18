import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { enlargeSocketBuffers, tolerateSendAfterClose } from './endpoint.js';

describe('host socket adaptations', () => {
  it('a send on a closed socket is dropped instead of throwing from a timer', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    tolerateSendAfterClose(s);
    await new Promise<void>((r) => s.close(() => r()));
    expect(() => s.send(new Uint8Array(4), 9, '127.0.0.1')).not.toThrow();
  });

  it('a destination dgram refuses (port 0, a bad port) is dropped and noted once, never thrown', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const lines: string[] = [];
    tolerateSendAfterClose(s, (l) => lines.push(l));
    expect(() => s.send(new Uint8Array(4), 0, '127.0.0.1')).not.toThrow();
    expect(() => s.send(new Uint8Array(4), 0, '127.0.0.1')).not.toThrow();
    expect(() => s.send(new Uint8Array(4), -1, '127.0.0.1')).not.toThrow();
    expect(lines).toHaveLength(1); // one note per error code
    expect(lines[0]).toMatch(/a datagram was not sent/);
    s.close();
  });

  it('socket buffers grow beyond the 208 KiB default (up to the kernel limit)', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const before = s.getRecvBufferSize();
    enlargeSocketBuffers(s);
    expect(s.getRecvBufferSize()).toBeGreaterThanOrEqual(before);
    s.close();
  });

  it('an unbound socket only logs that its buffers could not grow', () => {
    const s = createSocket('udp4');
    const lines: string[] = [];
    enlargeSocketBuffers(s, (l) => lines.push(l));
    expect(lines[0]).toMatch(/cannot enlarge the UDP socket buffers/);
    s.close();
  });
});
