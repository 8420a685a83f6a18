/*
 * libnice test peer for the @p2pcat/ice interop tests and bench (reliable=FALSE, RFC 5245/8445 mode,
 * regular nomination, consent freshness). Line protocol on stdin/stdout:
 *   out: "ufrag X", "pwd Y", "a=candidate:...", "gathered"      (local description)
 *   in:  "ufrag X", "pwd Y", "a=candidate:...", "done"         (remote description; checks start on "done")
 *   out: "ready <ms>"     component READY (data can flow), ms since "done"
 *   out: "selected <ms> <local-type> <remote-type>" new selected pair (nominated), ms since "done"
 *   out: "recvat <ms>"    then "recv <text>": a datagram arrived; it is echoed back as "echo:<text>"
 *   in:  "send <text>"    send a datagram
 *   in:  "quit"
 * usage: nice-peer <controlling 0|1> [address] [autosend|-] [stun-server-ip]
 *   autosend: send "first-byte" as soon as the component is READY (for the bench)
 *   stun-server-ip: gather a server-reflexive candidate from it (port 3478)
 *   also prints "connected <ms>" when the component first reaches CONNECTED (a valid pair: data can flow)
 */
#include <nice/agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GMainLoop *loop;
static NiceAgent *agent;
static guint stream_id;
static gint64 t_done;
static GSList *remote_cands;
static gchar *r_ufrag, *r_pwd;
static gboolean autosend;

static double since_done(void) { return (g_get_monotonic_time() - t_done) / 1000.0; }

static void on_gathering_done(NiceAgent *a, guint sid, gpointer d) {
  gchar *u = NULL, *p = NULL;
  nice_agent_get_local_credentials(a, sid, &u, &p);
  printf("ufrag %s\npwd %s\n", u, p);
  GSList *cands = nice_agent_get_local_candidates(a, sid, 1);
  for (GSList *i = cands; i; i = i->next) {
    NiceCandidate *c = i->data;
    if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) continue;
    gchar *sdp = nice_agent_generate_local_candidate_sdp(a, c);
    printf("%s\n", sdp);
    g_free(sdp);
  }
  g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
  printf("gathered\n");
  fflush(stdout);
  g_free(u);
  g_free(p);
}

static void on_state(NiceAgent *a, guint sid, guint cid, guint state, gpointer d) {
  if (state == NICE_COMPONENT_STATE_CONNECTED) {
    printf("connected %.3f\n", since_done());
    fflush(stdout);
  } else if (state == NICE_COMPONENT_STATE_READY) {
    printf("ready %.3f\n", since_done());
    fflush(stdout);
    if (autosend) nice_agent_send(a, sid, cid, 10, "first-byte");
  } else if (state == NICE_COMPONENT_STATE_FAILED) {
    printf("failed %.3f\n", since_done());
    fflush(stdout);
  }
}

static const char *type_name(NiceCandidateType t) {
  switch (t) {
    case NICE_CANDIDATE_TYPE_HOST: return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
  }
  return "?";
}

static void on_selected(NiceAgent *a, guint sid, guint cid, NiceCandidate *l, NiceCandidate *r, gpointer d) {
  printf("selected %.3f %s %s\n", since_done(), type_name(l->type), type_name(r->type));
  fflush(stdout);
}

static void on_recv(NiceAgent *a, guint sid, guint cid, guint len, gchar *buf, gpointer d) {
  gchar *text = g_strndup(buf, len);
  printf("recvat %.3f\nrecv %s\n", since_done(), text);
  fflush(stdout);
  if (strncmp(text, "echo:", 5) != 0 && strcmp(text, "first-byte") != 0) {
    gchar *reply = g_strdup_printf("echo:%s", text);
    nice_agent_send(a, sid, cid, strlen(reply), reply);
    g_free(reply);
  }
  g_free(text);
}

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer d) {
  gchar *line = NULL;
  gsize len = 0;
  GIOStatus st = g_io_channel_read_line(ch, &line, &len, NULL, NULL);
  if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
    g_main_loop_quit(loop);
    return FALSE;
  }
  if (!line) return TRUE;
  g_strstrip(line);
  if (g_str_has_prefix(line, "ufrag ")) {
    r_ufrag = g_strdup(line + 6);
  } else if (g_str_has_prefix(line, "pwd ")) {
    r_pwd = g_strdup(line + 4);
  } else if (g_str_has_prefix(line, "a=candidate:")) {
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(agent, stream_id, line);
    if (c) remote_cands = g_slist_append(remote_cands, c);
    else fprintf(stderr, "cannot parse %s\n", line);
  } else if (strcmp(line, "done") == 0) {
    t_done = g_get_monotonic_time();
    nice_agent_set_remote_credentials(agent, stream_id, r_ufrag, r_pwd);
    nice_agent_set_remote_candidates(agent, stream_id, 1, remote_cands);
  } else if (g_str_has_prefix(line, "send ")) {
    nice_agent_send(agent, stream_id, 1, strlen(line + 5), line + 5);
  } else if (strcmp(line, "quit") == 0) {
    g_main_loop_quit(loop);
  }
  g_free(line);
  return TRUE;
}

int main(int argc, char **argv) {
  gboolean controlling = argc > 1 && atoi(argv[1]) == 1;
  const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
  autosend = argc > 3 && strcmp(argv[3], "autosend") == 0;
  loop = g_main_loop_new(NULL, FALSE);
  agent = nice_agent_new_full(g_main_loop_get_context(loop), NICE_COMPATIBILITY_RFC5245,
                              NICE_AGENT_OPTION_REGULAR_NOMINATION | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  g_object_set(agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  if (argc > 4) g_object_set(agent, "stun-server", argv[4], "stun-server-port", 3478, NULL);
  NiceAddress a;
  nice_address_init(&a);
  nice_address_set_from_string(&a, addr);
  nice_agent_add_local_address(agent, &a);
  g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), NULL);
  g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), NULL);
  g_signal_connect(agent, "new-selected-pair-full", G_CALLBACK(on_selected), NULL);
  stream_id = nice_agent_add_stream(agent, 1);
  nice_agent_attach_recv(agent, stream_id, 1, g_main_loop_get_context(loop), on_recv, NULL);
  GIOChannel *in = g_io_channel_unix_new(0);
  g_io_add_watch(in, G_IO_IN | G_IO_HUP, on_stdin, NULL);
  nice_agent_gather_candidates(agent, stream_id);
  g_main_loop_run(loop);
  g_object_unref(agent);
  return 0;
}
