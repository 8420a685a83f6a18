/*
 * A libnice PseudoTcpSocket peer over one UDP socket, for interop tests and benchmarks.
 * Uses only libnice's public API (nice/pseudotcp.h) and GObject properties.
 *
 * Build: gcc -O2 -o peer peer.c $(pkg-config --cflags --libs nice glib-2.0)
 *
 *   peer --mode send|receive [--local-port N] [--remote-port N] [--remote-host A]
 *        [--connect] [--conv N] [--fin-ack 0|1] [--bytes N] [--seed N] [--stdin] [--stdout]
 *        [--expect-bytes N] [--close graceful|shutdown|force|none] [--sndbuf N] [--rcvbuf N]
 *        [--timeout-ms N] [--duration-ms N] [--debug 0|1|2]
 *
 * --duration-ms (send, generated data): stop generating after this long (with --bytes as a cap).
 *
 * Lines on stderr (machine-readable, one per event):
 *   PORT <n>                        the bound UDP port (also when --local-port 0)
 *   OPENED                          the pseudo-TCP connection is established
 *   RESULT sha256=<hex> bytes=<n> ms=<t>
 *                                   send: what was accepted by pseudo_tcp_socket_send once all of
 *                                   it was; receive: what was read once EOF or --expect-bytes hit
 *   CLOSED error=<n>                libnice's Closed callback (aborted connection)
 *   SENDERROR errno=<n>             pseudo_tcp_socket_send failed for good (e.g. EPIPE after the peer's FIN)
 *   DONE                            the socket reached CLOSED (get_next_clock returned FALSE)
 * PEER_TRACE=1 in the environment adds "STATE <n>" lines (PseudoTcpState) on each change.
 * Exit: 0 after DONE, 2 on watchdog timeout, 1 on usage/socket errors.
 * Without --remote-port, the remote address is learnt from the first datagram received.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <nice/pseudotcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

typedef enum { CLOSE_GRACEFUL, CLOSE_SHUTDOWN, CLOSE_FORCE, CLOSE_NONE } CloseMode;

static struct {
  gboolean send_mode;
  gboolean do_connect;
  gboolean use_stdin;
  gboolean use_stdout;
  gboolean fin_ack;
  guint32 conv;
  guint64 bytes;
  guint64 expect_bytes;
  guint32 seed;
  CloseMode close_mode;
  gint sndbuf;
  gint rcvbuf;
  gint timeout_ms;
  gint duration_ms;
  gint debug;
  int local_port;
  int remote_port;
  const char *remote_host;
} opt = { .fin_ack = TRUE, .remote_host = "127.0.0.1", .close_mode = CLOSE_GRACEFUL, .timeout_ms = 300000, .seed = 1 };

static GMainLoop *loop;
static PseudoTcpSocket *sock;
static int fd = -1;
static struct sockaddr_in remote;
static gboolean have_remote;
static guint clock_source;
static GChecksum *sha;
static guint64 total;
static gint64 start_us;
static gboolean result_printed;
static gboolean closing;
static int exit_code;

/* send side */
static guchar *out_buf;
static gsize out_len, out_off;
static gboolean src_eof;
static guint stdin_source;
static guint32 prng;

static void adjust_clock(void);

static void print_result(void) {
  if (result_printed) return;
  result_printed = TRUE;
  fprintf(stderr, "RESULT sha256=%s bytes=%" G_GUINT64_FORMAT " ms=%" G_GINT64_FORMAT "\n",
          g_checksum_get_string(sha), total, (g_get_monotonic_time() - start_us) / 1000);
  fflush(stderr);
}

static void finish(int code) {
  exit_code = code;
  g_main_loop_quit(loop);
}

static void start_close(void) {
  if (closing) return;
  closing = TRUE;
  switch (opt.close_mode) {
    case CLOSE_GRACEFUL: pseudo_tcp_socket_close(sock, FALSE); break;
    case CLOSE_SHUTDOWN: pseudo_tcp_socket_shutdown(sock, PSEUDO_TCP_SHUTDOWN_WR); break;
    case CLOSE_FORCE: pseudo_tcp_socket_close(sock, TRUE); break;
    case CLOSE_NONE: break;
  }
}

/* Fill out_buf from the generator or stdin; returns TRUE if data is available. */
static gboolean stdin_ready(gint fdi, GIOCondition cond, gpointer data);

static gboolean refill(void) {
  if (out_off < out_len) return TRUE;
  if (src_eof) return FALSE;
  out_off = out_len = 0;
  if (!opt.use_stdin) {
    if (opt.duration_ms && g_get_monotonic_time() - start_us >= (gint64)opt.duration_ms * 1000) {
      src_eof = TRUE;
      return FALSE;
    }
    guint64 left = opt.bytes - total;
    gsize n = left < CHUNK ? (gsize)left : CHUNK;
    if (n == 0) {
      src_eof = TRUE;
      return FALSE;
    }
    for (gsize i = 0; i < n; i++) {
      prng ^= prng << 13;
      prng ^= prng >> 17;
      prng ^= prng << 5;
      out_buf[i] = (guchar)prng;
    }
    out_len = n;
    return TRUE;
  }
  ssize_t r = read(0, out_buf, CHUNK);
  if (r > 0) {
    out_len = (gsize)r;
    return TRUE;
  }
  if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
    src_eof = TRUE;
    return FALSE;
  }
  if (!stdin_source) stdin_source = g_unix_fd_add(0, G_IO_IN | G_IO_HUP, stdin_ready, NULL);
  return FALSE;
}

static void pump_send(void) {
  if (!opt.send_mode || closing) return;
  for (;;) {
    if (!refill()) break;
    gint n = pseudo_tcp_socket_send(sock, (const char *)out_buf + out_off, (guint32)(out_len - out_off));
    if (n <= 0) {
      int err = pseudo_tcp_socket_get_error(sock);
      if (n < 0 && err != EWOULDBLOCK) {
        /* e.g. EPIPE: libnice refuses to send once the peer's FIN arrived (no sending in CLOSE_WAIT) */
        fprintf(stderr, "SENDERROR errno=%d\n", err);
        print_result();
        start_close();
      }
      return; /* EWOULDBLOCK: Writable will call again */
    }
    g_checksum_update(sha, out_buf + out_off, (gssize)n);
    out_off += (gsize)n;
    total += (guint64)n;
  }
  if (src_eof && out_off >= out_len) {
    print_result();
    start_close();
  }
}

static gboolean stdin_ready(gint fdi, GIOCondition cond, gpointer data) {
  (void)fdi; (void)cond; (void)data;
  stdin_source = 0;
  pump_send();
  adjust_clock();
  return G_SOURCE_REMOVE;
}

static void write_all(int ofd, const guchar *p, gsize n) {
  while (n > 0) {
    ssize_t w = write(ofd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("write stdout");
      exit(1);
    }
    p += w;
    n -= (gsize)w;
  }
}

static void pump_recv(void) {
  static guchar buf[CHUNK];
  for (;;) {
    gint n = pseudo_tcp_socket_recv(sock, (char *)buf, sizeof buf);
    if (n > 0) {
      g_checksum_update(sha, buf, n);
      total += (guint64)n;
      if (opt.use_stdout) write_all(1, buf, (gsize)n);
      if (opt.expect_bytes && total >= opt.expect_bytes) {
        print_result();
        start_close();
      }
      continue;
    }
    if (n == 0) {
      /* EOF: the peer's FIN (FIN-ACK negotiated) */
      print_result();
      start_close();
    }
    break;
  }
  if (!result_printed && pseudo_tcp_socket_is_closed_remotely(sock)) {
    print_result();
    start_close();
  }
}

static void on_opened(PseudoTcpSocket *s, gpointer d) {
  (void)s; (void)d;
  fprintf(stderr, "OPENED\n");
  fflush(stderr);
  start_us = g_get_monotonic_time();
  pump_send();
}

static void on_readable(PseudoTcpSocket *s, gpointer d) {
  (void)s; (void)d;
  pump_recv();
}

static void on_writable(PseudoTcpSocket *s, gpointer d) {
  (void)s; (void)d;
  pump_send();
}

static void on_closed(PseudoTcpSocket *s, guint32 err, gpointer d) {
  (void)s; (void)d;
  fprintf(stderr, "CLOSED error=%u\n", err);
  fflush(stderr);
}

static PseudoTcpWriteResult on_write_packet(PseudoTcpSocket *s, const gchar *buf, guint32 len, gpointer d) {
  (void)s; (void)d;
  if (!have_remote) return WR_SUCCESS; /* nowhere to send yet: treat as lost */
  ssize_t r = sendto(fd, buf, len, 0, (struct sockaddr *)&remote, sizeof remote);
  if (r < 0 && errno == EMSGSIZE) return WR_TOO_LARGE;
  /* Any other failure (full socket buffer) is a lost datagram; pseudo-TCP retransmits. */
  return WR_SUCCESS;
}

static gboolean on_clock(gpointer d) {
  (void)d;
  clock_source = 0;
  pseudo_tcp_socket_notify_clock(sock);
  if (!opt.send_mode) pump_recv();
  adjust_clock();
  return G_SOURCE_REMOVE;
}

static void adjust_clock(void) {
  guint64 timeout = 0;
  if (clock_source) {
    g_source_remove(clock_source);
    clock_source = 0;
  }
  if (!pseudo_tcp_socket_get_next_clock(sock, &timeout)) {
    if (opt.send_mode || result_printed) print_result();
    fprintf(stderr, "DONE\n");
    fflush(stderr);
    finish(0);
    return;
  }
  if (getenv("PEER_TRACE")) {
    static guint last_state = 999;
    guint st = 0;
    g_object_get(sock, "state", &st, NULL);
    if (st != last_state) fprintf(stderr, "STATE %u\n", st);
    last_state = st;
  }
  guint64 now = (guint64)(g_get_monotonic_time() / 1000);
  guint delay = timeout > now ? (guint)(timeout - now) : 0;
  clock_source = g_timeout_add(delay, on_clock, NULL);
}

static gboolean on_socket(gint fdi, GIOCondition cond, gpointer d) {
  (void)cond; (void)d;
  static gchar buf[65536];
  for (int i = 0; i < 256; i++) {
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(fdi, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (r < 0) break;
    if (!have_remote) {
      remote = from;
      have_remote = TRUE;
    }
    pseudo_tcp_socket_notify_packet(sock, buf, (guint32)r);
  }
  if (!opt.send_mode) pump_recv();
  adjust_clock();
  return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer d) {
  (void)d;
  fprintf(stderr, "TIMEOUT\n");
  finish(2);
  return G_SOURCE_REMOVE;
}

static void usage(void) {
  fprintf(stderr, "usage: peer --mode send|receive [options] (see peer.c)\n");
  exit(1);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
    if (ARG("--mode")) opt.send_mode = strcmp(v, "send") == 0;
    else if (strcmp(a, "--connect") == 0) opt.do_connect = TRUE;
    else if (strcmp(a, "--stdin") == 0) opt.use_stdin = TRUE;
    else if (strcmp(a, "--stdout") == 0) opt.use_stdout = TRUE;
    else if (ARG("--fin-ack")) opt.fin_ack = atoi(v) != 0;
    else if (ARG("--conv")) opt.conv = (guint32)strtoul(v, NULL, 0);
    else if (ARG("--bytes")) opt.bytes = g_ascii_strtoull(v, NULL, 10);
    else if (ARG("--expect-bytes")) opt.expect_bytes = g_ascii_strtoull(v, NULL, 10);
    else if (ARG("--seed")) opt.seed = (guint32)strtoul(v, NULL, 0);
    else if (ARG("--sndbuf")) opt.sndbuf = atoi(v);
    else if (ARG("--rcvbuf")) opt.rcvbuf = atoi(v);
    else if (ARG("--timeout-ms")) opt.timeout_ms = atoi(v);
    else if (ARG("--duration-ms")) opt.duration_ms = atoi(v);
    else if (ARG("--debug")) opt.debug = atoi(v);
    else if (ARG("--local-port")) opt.local_port = atoi(v);
    else if (ARG("--remote-port")) opt.remote_port = atoi(v);
    else if (ARG("--remote-host")) opt.remote_host = v;
    else if (ARG("--close")) {
      if (strcmp(v, "graceful") == 0) opt.close_mode = CLOSE_GRACEFUL;
      else if (strcmp(v, "shutdown") == 0) opt.close_mode = CLOSE_SHUTDOWN;
      else if (strcmp(v, "force") == 0) opt.close_mode = CLOSE_FORCE;
      else if (strcmp(v, "none") == 0) opt.close_mode = CLOSE_NONE;
      else usage();
    } else usage();
#undef ARG
  }
  prng = opt.seed ? opt.seed : 1;
  pseudo_tcp_set_debug_level((PseudoTcpDebugLevel)opt.debug);

  fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.local_port) };
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (opt.remote_port) {
    remote.sin_family = AF_INET;
    remote.sin_port = htons((uint16_t)opt.remote_port);
    if (inet_pton(AF_INET, opt.remote_host, &remote.sin_addr) != 1) usage();
    have_remote = TRUE;
    /* bind on the address family's wildcard when the remote is not loopback (namespaces) */
    if (remote.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) local.sin_addr.s_addr = htonl(INADDR_ANY);
  } else {
    local.sin_addr.s_addr = htonl(INADDR_ANY);
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    perror("bind");
    return 1;
  }
  socklen_t ll = sizeof local;
  getsockname(fd, (struct sockaddr *)&local, &ll);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  if (opt.use_stdin) fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  fprintf(stderr, "PORT %d\n", ntohs(local.sin_port));
  fflush(stderr);

  loop = g_main_loop_new(NULL, FALSE);
  sha = g_checksum_new(G_CHECKSUM_SHA256);
  out_buf = g_malloc(CHUNK);
  start_us = g_get_monotonic_time();

  PseudoTcpCallbacks cbs = { NULL, on_opened, on_readable, on_writable, on_closed, on_write_packet };
  /* support-fin-ack is a construct property: it must be given to g_object_new. */
  sock = g_object_new(PSEUDO_TCP_SOCKET_TYPE, "conversation", opt.conv, "callbacks", &cbs, "support-fin-ack",
                      opt.fin_ack, NULL);
  if (opt.sndbuf) g_object_set(sock, "snd-buf", (guint)opt.sndbuf, NULL);
  if (opt.rcvbuf) g_object_set(sock, "rcv-buf", (guint)opt.rcvbuf, NULL);

  g_unix_fd_add(fd, G_IO_IN, on_socket, NULL);
  g_timeout_add((guint)opt.timeout_ms, on_watchdog, NULL);
  if (opt.do_connect) pseudo_tcp_socket_connect(sock);
  adjust_clock();
  g_main_loop_run(loop);
  if (!result_printed && exit_code != 0) print_result();
  return exit_code;
}
