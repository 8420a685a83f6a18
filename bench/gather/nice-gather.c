/* libnice reference for bench/gather: one NiceAgent gathering per round on one stream/component,
 * with a STUN server and/or a UDP TURN server (nice_agent_set_relay_info), timed from
 * nice_agent_gather_candidates() to each new candidate and to candidate-gathering-done.
 * usage: nice-gather MODE(stun|turn|both) SERVER PORT USER PASS ROUNDS
 * prints one JSON object per round: {"first":ms,"srflx":ms,"relay":ms,"done":ms} (-1 = none). */
#include <agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop *loop;
  gint64 t0;
  double first, srflx, relay, done;
} Round;

static double since(Round *r) { return (g_get_monotonic_time() - r->t0) / 1000.0; }

static void on_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data) {
  (void)agent;
  Round *r = data;
  double t = since(r);
  if (r->first < 0) r->first = t;
  if (c->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE) r->srflx = t;
  if (c->type == NICE_CANDIDATE_TYPE_RELAYED) r->relay = t;
}

static void on_done(NiceAgent *agent, guint stream, gpointer data) {
  (void)agent;
  (void)stream;
  Round *r = data;
  r->done = since(r);
  g_main_loop_quit(r->loop);
}

static gboolean on_timeout(gpointer data) {
  g_main_loop_quit(((Round *)data)->loop);
  return G_SOURCE_REMOVE;
}

static void on_recv(NiceAgent *a, guint s, guint c, guint len, gchar *buf, gpointer d) {
  (void)a; (void)s; (void)c; (void)len; (void)buf; (void)d;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s stun|turn|both SERVER PORT USER PASS ROUNDS\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1], *server = argv[2], *user = argv[4], *pass = argv[5];
  guint port = (guint)atoi(argv[3]);
  int rounds = atoi(argv[6]);
  gboolean stun = strcmp(mode, "turn") != 0, turn = strcmp(mode, "stun") != 0;
  for (int i = 0; i < rounds; i++) {
    Round r = {g_main_loop_new(NULL, FALSE), 0, -1, -1, -1, -1};
    NiceAgent *agent = nice_agent_new(g_main_loop_get_context(r.loop), NICE_COMPATIBILITY_RFC5245);
    g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, NULL);
    if (stun) g_object_set(agent, "stun-server", server, "stun-server-port", port, NULL);
    g_signal_connect(agent, "new-candidate-full", G_CALLBACK(on_candidate), &r);
    g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_done), &r);
    guint stream = nice_agent_add_stream(agent, 1);
    if (turn)
      nice_agent_set_relay_info(agent, stream, 1, server, port, user, pass, NICE_RELAY_TYPE_TURN_UDP);
    nice_agent_attach_recv(agent, stream, 1, g_main_loop_get_context(r.loop), on_recv, NULL);
    guint timer = g_timeout_add(15000, on_timeout, &r);
    r.t0 = g_get_monotonic_time();
    if (!nice_agent_gather_candidates(agent, stream)) {
      fprintf(stderr, "nice_agent_gather_candidates failed\n");
      return 1;
    }
    g_main_loop_run(r.loop);
    g_source_remove(timer);
    printf("{\"first\":%.2f,\"srflx\":%.2f,\"relay\":%.2f,\"done\":%.2f}\n", r.first, r.srflx, r.relay, r.done);
    fflush(stdout);
    nice_agent_remove_stream(agent, stream);
    g_object_unref(agent);
    /* let the TURN refresh(0) and socket closes go out before the next agent */
    GMainContext *ctx = g_main_loop_get_context(r.loop);
    gint64 until = g_get_monotonic_time() + 100000;
    while (g_get_monotonic_time() < until) g_main_context_iteration(ctx, FALSE), g_usleep(1000);
    g_main_loop_unref(r.loop);
  }
  return 0;
}
