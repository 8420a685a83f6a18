// pion-peer: a pion/ice v2 agent for bench/hard-nat, built offline from Debian's
// golang-github-pion-ice.v2-dev. It speaks the stdin/stdout line protocol of the libnice test peer
// (packages/ice/e2e/nice-peer.c) so the bench drives both references the same way:
//
//	out: "ufrag X", "pwd Y", "a=candidate:...", "gathered"  (local description, after gathering ended)
//	in:  "ufrag X", "pwd Y", "a=candidate:...", "done"     (remote description; checks start on "done")
//	out: "connected <ms>"  agent state Connected (a nominated pair: data can flow), ms since "done"
//	out: "selected <ms> <local-type> <remote-type>"  new selected pair, ms since "done"
//	out: "ready <ms>"      Dial/Accept returned: the connection is usable
//	out: "failed <ms>"     agent state Failed
//	out: "recvat <ms>" then "recv <text>": a datagram arrived; it is echoed back as "echo:<text>"
//	in:  "send <text>", "quit"
//
// usage: pion-peer <controlling 0|1> [address] [autosend|-] [stun-server-ip]
//
// Only what mirrors the libnice peer is configured: UDP over IPv4 from the one given address, a
// server-reflexive candidate from the STUN server (port 3478), no TURN, no mDNS. Everything else
// (check interval, nomination waits, binding-request limit, timeouts) is pion's default.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/logging"
)

// lines serialises writes to stdout: pion calls back from its own goroutines.
type lines struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lines) say(format string, args ...interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
	l.w.Flush()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pion-peer:", err)
	os.Exit(1)
}

func main() {
	arg := func(i int, fallback string) string {
		if len(os.Args) > i {
			return os.Args[i]
		}
		return fallback
	}
	controlling := arg(1, "0") == "1"
	local := net.ParseIP(arg(2, "127.0.0.1"))
	autosend := arg(3, "-") == "autosend"
	stunServer := arg(4, "")
	if local == nil {
		fail(fmt.Errorf("not an IP address: %s", arg(2, "")))
	}

	var urls []*ice.URL
	if stunServer != "" {
		u, err := ice.ParseURL(fmt.Sprintf("stun:%s:3478", stunServer))
		if err != nil {
			fail(err)
		}
		urls = append(urls, u)
	}
	// pion logs to stdout by default; keep stdout for the protocol.
	logs := logging.NewDefaultLoggerFactory()
	logs.Writer = os.Stderr
	agent, err := ice.NewAgent(&ice.AgentConfig{
		Urls:             urls,
		NetworkTypes:     []ice.NetworkType{ice.NetworkTypeUDP4},
		CandidateTypes:   []ice.CandidateType{ice.CandidateTypeHost, ice.CandidateTypeServerReflexive},
		MulticastDNSMode: ice.MulticastDNSModeDisabled,
		IPFilter:         func(ip net.IP) bool { return ip.Equal(local) },
		IncludeLoopback:  local.IsLoopback(),
		LoggerFactory:    logs,
	})
	if err != nil {
		fail(err)
	}
	out := &lines{w: bufio.NewWriter(os.Stdout)}

	var startMu sync.Mutex
	var start time.Time
	since := func() float64 {
		startMu.Lock()
		defer startMu.Unlock()
		return float64(time.Since(start).Microseconds()) / 1000
	}

	var gathered []ice.Candidate
	gatherEnd := make(chan struct{})
	if err := agent.OnCandidate(func(c ice.Candidate) {
		if c == nil { // pion's end-of-candidates
			close(gatherEnd)
			return
		}
		gathered = append(gathered, c)
	}); err != nil {
		fail(err)
	}
	if err := agent.OnConnectionStateChange(func(s ice.ConnectionState) {
		switch s {
		case ice.ConnectionStateConnected:
			out.say("connected %.3f", since())
		case ice.ConnectionStateFailed:
			out.say("failed %.3f", since())
		default:
		}
	}); err != nil {
		fail(err)
	}
	if err := agent.OnSelectedCandidatePairChange(func(l, r ice.Candidate) {
		out.say("selected %.3f %s %s", since(), l.Type(), r.Type())
	}); err != nil {
		fail(err)
	}
	if err := agent.GatherCandidates(); err != nil {
		fail(err)
	}
	<-gatherEnd
	ufrag, pwd, err := agent.GetLocalUserCredentials()
	if err != nil {
		fail(err)
	}
	desc := []string{"ufrag " + ufrag, "pwd " + pwd}
	for _, c := range gathered {
		desc = append(desc, "a=candidate:"+c.Marshal())
	}
	out.say("%s\ngathered", strings.Join(desc, "\n"))

	var connMu sync.Mutex
	var conn *ice.Conn
	send := func(text string) {
		connMu.Lock()
		c := conn
		connMu.Unlock()
		if c != nil {
			_, _ = c.Write([]byte(text))
		}
	}
	connect := func(remoteUfrag, remotePwd string) {
		var c *ice.Conn
		var err error
		if controlling {
			c, err = agent.Dial(context.Background(), remoteUfrag, remotePwd)
		} else {
			c, err = agent.Accept(context.Background(), remoteUfrag, remotePwd)
		}
		if err != nil {
			return // closed before a pair was found; "failed" was printed if the agent gave up
		}
		connMu.Lock()
		conn = c
		connMu.Unlock()
		out.say("ready %.3f", since())
		if autosend {
			send("first-byte")
		}
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			text := string(buf[:n])
			out.say("recvat %.3f\nrecv %s", since(), text)
			if !strings.HasPrefix(text, "echo:") && text != "first-byte" {
				send("echo:" + text)
			}
		}
	}

	var remoteUfrag, remotePwd string
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		switch {
		case strings.HasPrefix(line, "ufrag "):
			remoteUfrag = line[len("ufrag "):]
		case strings.HasPrefix(line, "pwd "):
			remotePwd = line[len("pwd "):]
		case strings.HasPrefix(line, "a=candidate:"):
			c, err := ice.UnmarshalCandidate(line[len("a=candidate:"):])
			if err != nil {
				fmt.Fprintf(os.Stderr, "cannot parse %s: %v\n", line, err)
				continue
			}
			if err := agent.AddRemoteCandidate(c); err != nil {
				fmt.Fprintf(os.Stderr, "cannot add %s: %v\n", line, err)
			}
		case line == "done":
			startMu.Lock()
			start = time.Now()
			startMu.Unlock()
			go connect(remoteUfrag, remotePwd)
		case strings.HasPrefix(line, "send "):
			send(line[len("send "):])
		case line == "quit":
			_ = agent.Close()
			return
		}
	}
	_ = agent.Close()
}
