/*
 * A lean libnice PseudoTcpSocket peer for the loopback benchmark (issue 18): one UDP socket and one
 * poll(2) loop, no GLib main loop. The pseudo-TCP clock comes from pseudo_tcp_socket_get_next_clock
 * and becomes poll's timeout, so there is no per-tick timer source to create and destroy.
 * Uses only libnice's public API (nice/pseudotcp.h) with its defaults (MTU 1400, 60 KiB receive and
 * 90 KiB send buffers, FIN-ACK on, conversation 0).
 *
 * Build: gcc -O2 -o lean-peer lean-peer.c $(pkg-config --cflags --libs nice glib-2.0)
 *
 *   lean-peer send    <localPort> <remoteHost> <remotePort>   stdin into the stream, then FIN
 *   lean-peer receive <localPort>                             the stream to stdout until the FIN
 *
 * The sender connects (active open); the receiver learns its peer from the first datagram.
 * UDP socket buffers are 4 MiB (SO_*BUFFORCE when allowed, else SO_*BUF).
 * stderr: "PORT <n>", then on the receiver "RESULT bytes=<n> ms=<t>" (first byte to the FIN) and
 * "DONE" when the socket reaches CLOSED. Exit 0 after DONE, 2 after 300 s without closing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <nice/pseudotcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define SOCKBUF (4 * 1024 * 1024)

static PseudoTcpSocket *sock;
static int fd = -1;
static int sending;
static struct sockaddr_in remote;
static int have_remote;
static unsigned char inbuf[CHUNK];
static size_t in_len, in_off;
static int opened, in_eof, wait_writable, shut;
static unsigned long long total;
static long long first_us;
static int result_printed;

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void write_all(const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("write stdout");
      exit(1);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void print_result(void) {
  if (result_printed) return;
  result_printed = 1;
  long long ms = first_us ? (now_us() - first_us) / 1000 : 0;
  fprintf(stderr, "RESULT bytes=%llu ms=%lld\n", total, ms);
  fflush(stderr);
}

/* Sender: hand buffered stdin bytes to the socket until it refuses (then wait for Writable). */
static void pump_send(void) {
  while (opened && !wait_writable && !shut) {
    if (in_off == in_len) {
      if (in_eof) {
        pseudo_tcp_socket_shutdown(sock, PSEUDO_TCP_SHUTDOWN_WR);
        shut = 1;
      }
      return; /* more comes from poll on stdin */
    }
    gint n = pseudo_tcp_socket_send(sock, (const char *)inbuf + in_off, (guint32)(in_len - in_off));
    if (n > 0) {
      in_off += (size_t)n;
      if (in_off < in_len) wait_writable = 1;
    } else {
      int err = pseudo_tcp_socket_get_error(sock);
      if (err == EWOULDBLOCK || err == EAGAIN) wait_writable = 1;
      else {
        fprintf(stderr, "SENDERROR errno=%d\n", err);
        exit(1);
      }
    }
  }
}

/* Receiver: drain the stream to stdout; 0 from recv is the peer's FIN. */
static void pump_recv(void) {
  static unsigned char buf[CHUNK];
  for (;;) {
    gint n = pseudo_tcp_socket_recv(sock, (char *)buf, sizeof buf);
    if (n > 0) {
      if (!first_us) first_us = now_us();
      total += (unsigned long long)n;
      write_all(buf, (size_t)n);
      continue;
    }
    if (n == 0 && !result_printed) {
      print_result();
      pseudo_tcp_socket_close(sock, FALSE);
    }
    break;
  }
}

static void on_opened(PseudoTcpSocket *s, gpointer d) {
  (void)s;
  (void)d;
  opened = 1;
  if (sending) pump_send();
}

static void on_readable(PseudoTcpSocket *s, gpointer d) {
  (void)s;
  (void)d;
  if (!sending) pump_recv();
}

static void on_writable(PseudoTcpSocket *s, gpointer d) {
  (void)s;
  (void)d;
  wait_writable = 0;
  if (sending) pump_send();
}

static void on_closed(PseudoTcpSocket *s, guint32 err, gpointer d) {
  (void)s;
  (void)d;
  fprintf(stderr, "CLOSED error=%u\n", err);
}

static PseudoTcpWriteResult on_write_packet(PseudoTcpSocket *s, const gchar *buf, guint32 len, gpointer d) {
  (void)s;
  (void)d;
  if (!have_remote) return WR_SUCCESS;
  ssize_t r = sendto(fd, buf, len, 0, (struct sockaddr *)&remote, sizeof remote);
  if (r < 0 && errno == EMSGSIZE) return WR_TOO_LARGE;
  return WR_SUCCESS; /* a full socket buffer is a lost datagram; pseudo-TCP retransmits */
}

static void set_buffer(int force_opt, int opt) {
  int v = SOCKBUF;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) < 0) setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lean-peer send <localPort> <remoteHost> <remotePort> | receive <localPort>\n");
    return 1;
  }
  sending = strcmp(argv[1], "send") == 0;
  struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  if (sending) {
    if (argc < 5) return 1;
    remote.sin_family = AF_INET;
    remote.sin_port = htons((uint16_t)atoi(argv[4]));
    if (inet_pton(AF_INET, argv[3], &remote.sin_addr) != 1) return 1;
    have_remote = 1;
  }
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  set_buffer(SO_RCVBUFFORCE, SO_RCVBUF);
  set_buffer(SO_SNDBUFFORCE, SO_SNDBUF);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    perror("bind");
    return 1;
  }
  socklen_t ll = sizeof local;
  getsockname(fd, (struct sockaddr *)&local, &ll);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  fprintf(stderr, "PORT %d\n", ntohs(local.sin_port));
  fflush(stderr);

  PseudoTcpCallbacks cbs = { NULL, on_opened, on_readable, on_writable, on_closed, on_write_packet };
  sock = pseudo_tcp_socket_new(0, &cbs);
  if (sending) pseudo_tcp_socket_connect(sock);

  long long deadline = now_us() + 300LL * 1000000;
  static char pkt[65536];
  for (;;) {
    guint64 next = 0;
    if (!pseudo_tcp_socket_get_next_clock(sock, &next)) break; /* CLOSED */
    /* The clock is g_get_monotonic_time() in ms, the same CLOCK_MONOTONIC as now_us(). */
    long long now_ms = g_get_monotonic_time() / 1000;
    int timeout = next > (guint64)now_ms ? (int)(next - (guint64)now_ms) : 0;
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN } };
    int np = 1;
    int want_stdin = sending && opened && !in_eof && !shut && in_off == in_len;
    if (want_stdin) p[np++] = (struct pollfd){ .fd = 0, .events = POLLIN };
    int r = poll(p, (nfds_t)np, timeout);
    if (r < 0 && errno != EINTR) {
      perror("poll");
      return 1;
    }
    if (p[0].revents & POLLIN) {
      for (int i = 0; i < 256; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) break;
        if (!have_remote) {
          remote = from;
          have_remote = 1;
        }
        pseudo_tcp_socket_notify_packet(sock, pkt, (guint32)n);
      }
    }
    if (want_stdin && np > 1 && (p[1].revents & (POLLIN | POLLHUP))) {
      ssize_t n = read(0, inbuf, sizeof inbuf);
      if (n > 0) {
        in_len = (size_t)n;
        in_off = 0;
      } else if (n == 0 || errno != EINTR) in_eof = 1;
      pump_send();
    }
    if (g_get_monotonic_time() / 1000 >= (long long)next) pseudo_tcp_socket_notify_clock(sock);
    if (!sending) pump_recv();
    if (now_us() > deadline) {
      fprintf(stderr, "TIMEOUT\n");
      return 2;
    }
  }
  if (!sending) print_result();
  fprintf(stderr, "DONE\n");
  return 0;
}
