/*
 * peeropts: vsp-peer's command line; see peeropts.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peeraddr.h"
#include "peeropts.h"
#include "tool.h"

#define PEER_VERSION	"1.0"
#define DEFAULT_CHUNK	(256 * 1024)
#define DEFAULT_TIMEOUT	60	/* seconds */
#define DEFAULT_PROBE	2000	/* --expect-epipe without --probe-epipe, ms */

static const char usage_text[] =
"usage: vsp-peer listen ADDR [options]    serve --conns connections\n"
"       vsp-peer connect ADDR [options]   open --conns connections\n"
"(addresses alone: vsp-addr; a NOTIFY_SOCKET: vsp-notify)\n"
"\n"
"ADDR: vsock:PORT (listen only) | vsock:CID:PORT | tcp:HOST:PORT |\n"
"      tcp:[IPV6]:PORT | unix:PATH    (HOST: numeric or localhost)\n"
"      vsock-stream:... is vsock:...; vsock-seqpacket:[CID:]PORT and\n"
"      unix-seqpacket:PATH are SOCK_SEQPACKET: message mode, below\n"
"\n"
"Every connection i sends stream i of --seed and checks what it receives\n"
"against a stream of --expect-seed (found from the first bytes, so the\n"
"order in which connections arrive does not matter).\n"
"\n"
"  --send BYTES          bytes to send per connection (default 0;\n"
"                        suffixes k, M, G are powers of 1024)\n"
"  --seed N              seed of the sent streams (default: 1 for\n"
"                        connect, 2 for listen)\n"
"  --expect BYTES        bytes that must arrive (default: not checked)\n"
"  --expect-seed N       seed the far end sends with (default: the far\n"
"                        end's default, 2 for connect, 1 for listen)\n"
"  --order ORDER         duplex: send and read at once (default);\n"
"                        send-first: send all, end, then read to EOF;\n"
"                        recv-first: read to EOF, then send all and end;\n"
"                        random: one of these per connection (--vary)\n"
"  --end shutdown|close  end the sending side with shutdown(SHUT_WR) and\n"
"                        read on to EOF (default), or close() at once\n"
"  --probe-epipe MS      after sending all and reading EOF, keep sending\n"
"                        (more of the stream: the far end sees it) for\n"
"                        up to MS ms; report whether send() fails\n"
"                        (probe=EPIPE|ECONNRESET|none); then end\n"
"  --expect-epipe yes|no fail unless the probe did (not) fail; probes\n"
"                        for 2 s unless --probe-epipe says otherwise\n"
"  --conns N             connect: open N connections at once (default\n"
"                        1); listen: serve N, then exit (0: forever)\n"
"  --ready-file PATH     listen: create PATH, holding the bound address,\n"
"                        once listening\n"
"  --conn-file PATH      create PATH once the first connection is up\n"
"  --wait-file PATH      after sending all, wait for PATH to exist before\n"
"                        ending (lets a test hold a connection open)\n"
"  --read-delay-ms MS    slow reader: wait MS ms after each read\n"
"  --send-delay-ms MS    slow sender: wait MS ms after each send (with\n"
"                        --chunk 1, a slowloris)\n"
"  --chunk BYTES         largest read and send (default 256k)\n"
"  --sockbuf BYTES       SO_SNDBUF and SO_RCVBUF of our sockets, so that\n"
"                        kernel buffers cannot hide a relay's buffering\n"
"                        (message mode: accepted sockets too; a UNIX\n"
"                        message is at most SO_SNDBUF - 32 bytes)\n"
"  --expect-refused      connect: pass iff each connection is refused or\n"
"                        closed without any data; refused=connect|eof|\n"
"                        reset and ms= say how and how fast\n"
"  --backlog N           listen: listen(2) backlog (default SOMAXCONN)\n"
"  --no-accept           listen: never accept; with --backlog 0 and one\n"
"                        queued connection, further SYNs go unanswered\n"
"                        (a target that times out); ends on a signal\n"
"  --hybrid-vmm MODE     listen: stand in for a Firecracker / Cloud\n"
"                        Hypervisor hybrid vsock socket: read\n"
"                        \"CONNECT PORT\\n\" (vmm_connect=PORT in the\n"
"                        result), then answer by MODE:\n"
"                        ok: \"OK " VMM_HOSTPORT "\\n\", then the usual\n"
"                          exchange; ok-data: the same, the reply and\n"
"                          the first 4k of --send in one write;\n"
"                        wrong: \"FAILURE\\n\"; huge: 1M of \"OK 000...\"\n"
"                          with no newline; silent: no reply (these\n"
"                          three wait for the relay to close: ok);\n"
"                        close: close at once; partial: \"OK 12\",\n"
"                          then close\n"
"  --hybrid-port N       with --hybrid-vmm: fail a request for another\n"
"                        port (error=vmm-port)\n"
"  --bind ADDR           connect: bind to ADDR first (e.g. vsock:3:0 to\n"
"                        claim a CID; a failure is error=bind)\n"
"  --timeout SECONDS     give up after this long (default 60, 0: never)\n"
"  --corrupt OFFSET      flip a bit of the byte sent at OFFSET (to test\n"
"                        the checker itself)\n"
"  --reset-after BYTES   once BYTES have arrived, abort the connection\n"
"                        with an RST (SO_LINGER 0, then close); the line\n"
"                        says \"reset\" and this end checks nothing;\n"
"                        with --wait-file, only once that file exists\n"
"  --vary SEED           random read and send sizes (1 .. --chunk,\n"
"                        log-uniform), drawn per connection from SEED;\n"
"                        --order random draws each connection's order\n"
"\n"
"Message mode (a seqpacket ADDR): each connection sends whole messages,\n"
"one send() each, with the contents of its stream, and reads whole\n"
"messages (a cut one fails: error=truncated).  The hashes run over each\n"
"message's length (8 bytes, little-endian) and then its bytes, in order,\n"
"so a split, merge, cut or reordered message changes them.  --send,\n"
"--vary, --probe-epipe, --expect-epipe and --hybrid-vmm do not apply.\n"
"  --msgs N              messages to send per connection (default 0)\n"
"  --msg-size MIN-MAX    their sizes, drawn per message from --seed and\n"
"                        the connection (log-uniform); or one SIZE\n"
"                        (default 0-64k)\n"
"  --msg-sizes LIST      send exactly these sizes, in order, instead\n"
"                        (e.g. 0,1,4095,4096,64k)\n"
"  --expect-msgs N       messages that must arrive (default: not\n"
"                        checked); --expect BYTES: their total bytes\n"
"  --expect-closed       pass iff the far end cuts the connection\n"
"                        before --expect-msgs messages arrived: EOF,\n"
"                        ECONNRESET or EPIPE (closed=eof|reset|epipe)\n"
"  Result: conn=I msgs_sent=N sent=B sent_hash=H msgs_recv=N recv=B\n"
"  recv_hash=H ms=T [closed=HOW] ok\n"
"\n"
"  -v, --verbose         log progress to stderr\n"
"  -q, --quiet           print only failed connections\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"One line per connection on stdout, e.g.\n"
"  conn=0 stream=0 sent=1024 sent_hash=... recv=0 recv_hash=... ms=1 ok\n"
"with \"FAIL error=short|long|mismatch|timeout|send|recv|...\" (and\n"
"mismatch_at=OFFSET) instead of \"ok\" on failure.  Hashes are 64-bit\n"
"FNV-1a of the bytes.  Exit status: 0 all passed, 1 a connection failed,\n"
"2 timeout, 64 usage, 71 set-up error.\n";

/* Which of the counted options were given: their defaults depend on it. */
struct optset {
	int seed;
	int expect_seed;
	int conns;
};

enum {
	OPT_SEND = 256, OPT_SEED, OPT_EXPECT, OPT_EXPECT_SEED, OPT_ORDER,
	OPT_END, OPT_PROBE, OPT_EXPECT_EPIPE, OPT_CONNS, OPT_READY,
	OPT_CONNFILE, OPT_WAITFILE, OPT_DELAY, OPT_CHUNK, OPT_REFUSED,
	OPT_TIMEOUT, OPT_BACKLOG, OPT_NO_ACCEPT, OPT_SOCKBUF, OPT_CORRUPT,
	OPT_HYBRID_VMM, OPT_HYBRID_PORT, OPT_BIND, OPT_RESET, OPT_VARY,
	OPT_SEND_DELAY, OPT_MSGS, OPT_MSG_SIZE, OPT_MSG_SIZES,
	OPT_EXPECT_MSGS, OPT_EXPECT_CLOSED
};

static const struct option longopts[] = {
	{ "send",		required_argument, NULL, OPT_SEND },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "expect",		required_argument, NULL, OPT_EXPECT },
	{ "expect-seed",	required_argument, NULL, OPT_EXPECT_SEED },
	{ "order",		required_argument, NULL, OPT_ORDER },
	{ "end",		required_argument, NULL, OPT_END },
	{ "probe-epipe",	required_argument, NULL, OPT_PROBE },
	{ "expect-epipe",	required_argument, NULL, OPT_EXPECT_EPIPE },
	{ "conns",		required_argument, NULL, OPT_CONNS },
	{ "ready-file",		required_argument, NULL, OPT_READY },
	{ "conn-file",		required_argument, NULL, OPT_CONNFILE },
	{ "wait-file",		required_argument, NULL, OPT_WAITFILE },
	{ "read-delay-ms",	required_argument, NULL, OPT_DELAY },
	{ "send-delay-ms",	required_argument, NULL, OPT_SEND_DELAY },
	{ "chunk",		required_argument, NULL, OPT_CHUNK },
	{ "expect-refused",	no_argument,	   NULL, OPT_REFUSED },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "backlog",		required_argument, NULL, OPT_BACKLOG },
	{ "no-accept",		no_argument,	   NULL, OPT_NO_ACCEPT },
	{ "sockbuf",		required_argument, NULL, OPT_SOCKBUF },
	{ "corrupt",		required_argument, NULL, OPT_CORRUPT },
	{ "hybrid-vmm",		required_argument, NULL, OPT_HYBRID_VMM },
	{ "hybrid-port",	required_argument, NULL, OPT_HYBRID_PORT },
	{ "bind",		required_argument, NULL, OPT_BIND },
	{ "reset-after",	required_argument, NULL, OPT_RESET },
	{ "vary",		required_argument, NULL, OPT_VARY },
	{ "msgs",		required_argument, NULL, OPT_MSGS },
	{ "msg-size",		required_argument, NULL, OPT_MSG_SIZE },
	{ "msg-sizes",		required_argument, NULL, OPT_MSG_SIZES },
	{ "expect-msgs",	required_argument, NULL, OPT_EXPECT_MSGS },
	{ "expect-closed",	no_argument,	   NULL, OPT_EXPECT_CLOSED },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

void
peeropts_usage(FILE *f)
{
	fputs(usage_text, f);
}

void
peeropts_version(void)
{
	printf("vsp-peer %s\n", PEER_VERSION);
}

/* A byte count with an optional k, M or G suffix (powers of 1024). */
static int
parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	uint64_t v, mul = 1;

	if (len == 0 || len >= sizeof(num))
		return (-1);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': mul = 1ULL << 10; break;
	case 'm': case 'M': mul = 1ULL << 20; break;
	case 'g': case 'G': mul = 1ULL << 30; break;
	}
	if (mul != 1)
		num[len - 1] = '\0';
	if (peeraddr_u64(num, 0, UINT64_MAX / mul, &v) == -1)
		return (-1);
	*out = v * mul;
	return (0);
}

/* Seconds with an optional fraction ("2", "0.25"), as milliseconds. */
static int
parse_secs(const char *s, int64_t *ms)
{
	char *end;
	double d;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || d < 0 || d > 86400.0 * 365)
		return (-1);
	*ms = (int64_t)(d * 1000 + 0.5);
	return (0);
}

static uint64_t
opt_size(const char *name, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v) == -1)
		tool_usage_error("%s: invalid byte count '%s'", name, arg);
	return (v);
}

/* A buffer size, 1 to 64M: --chunk, --sockbuf. */
static size_t
opt_bufsize(const char *name, const char *arg)
{
	uint64_t v = opt_size(name, arg);

	if (v == 0 || v > (64ULL << 20))
		tool_usage_error("%s: must be 1 to 64M", name);
	return ((size_t)v);
}

/* MIN-MAX or SIZE, for --msg-size. */
static void
opt_msg_range(struct peer_opts *o, const char *arg)
{
	char lo[32];
	const char *dash = strchr(arg, '-');
	size_t n;

	if (dash == NULL) {
		o->msg_min = o->msg_max = opt_size("--msg-size", arg);
		return;
	}
	n = (size_t)(dash - arg);
	if (n == 0 || n >= sizeof(lo))
		tool_usage_error("--msg-size: expected MIN-MAX, not '%s'",
		    arg);
	memcpy(lo, arg, n);
	lo[n] = '\0';
	o->msg_min = opt_size("--msg-size", lo);
	o->msg_max = opt_size("--msg-size", dash + 1);
	if (o->msg_min > o->msg_max)
		tool_usage_error("--msg-size: MIN above MAX in '%s'", arg);
}

/* A comma-separated list of sizes, for --msg-sizes. */
static void
opt_msg_sizes(struct peer_opts *o, const char *arg)
{
	char word[32];
	const char *p = arg, *comma;
	size_t n;

	free(o->msg_sizes);
	o->msg_sizes = NULL;
	o->nmsg_sizes = 0;
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(word))
			tool_usage_error("--msg-sizes: bad list '%s'", arg);
		memcpy(word, p, n);
		word[n] = '\0';
		o->msg_sizes = realloc(o->msg_sizes, (o->nmsg_sizes + 1) *
		    sizeof(*o->msg_sizes));
		if (o->msg_sizes == NULL)
			tool_usage_error("--msg-sizes: out of memory");
		o->msg_sizes[o->nmsg_sizes++] = opt_size("--msg-sizes", word);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

/* Message mode's options.  0: not ours. */
static int
opt_message(struct peer_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_MSGS:
		o->msgs = tool_u64("--msgs", arg, UINT32_MAX);
		break;
	case OPT_MSG_SIZE:
		opt_msg_range(o, arg);
		break;
	case OPT_MSG_SIZES:
		opt_msg_sizes(o, arg);
		break;
	case OPT_EXPECT_MSGS:
		o->expect_msgs = tool_u64("--expect-msgs", arg, UINT32_MAX);
		break;
	case OPT_EXPECT_CLOSED:
		o->expect_closed = 1;
		break;
	default:
		return (0);
	}
	return (1);
}

/* Message mode or not: the options of the other are errors. */
static void
opts_check_message(struct peer_opts *o)
{
	o->msg = o->addr.type == SOCK_SEQPACKET;
	if (!o->msg) {
		if (o->msgs != 0 || o->msg_sizes != NULL ||
		    o->expect_msgs != PEER_NONE || o->expect_closed ||
		    o->msg_max != PEER_MSG_DEFAULT_MAX || o->msg_min != 0)
			tool_usage_error("--msgs, --msg-size, --msg-sizes, "
			    "--expect-msgs and --expect-closed need a "
			    "seqpacket address");
		return;
	}
	if (o->send != 0 || o->vary != 0 || o->probe_ms != 0 ||
	    o->vmm != VMM_NONE)
		tool_usage_error("--send, --vary, --probe-epipe, "
		    "--expect-epipe and --hybrid-vmm: not in message mode "
		    "(use --msgs, --msg-size or --msg-sizes)");
}

/* The words of the options that take one of a list, and their values. */
struct optword {
	const char *word;
	int value;
};

#define NWORDS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct optword orders[] = {
	{ "duplex", ORDER_DUPLEX }, { "send-first", ORDER_SEND_FIRST },
	{ "recv-first", ORDER_RECV_FIRST }, { "random", ORDER_RANDOM }
};
static const struct optword ends[] = {
	{ "shutdown", END_SHUTDOWN }, { "close", END_CLOSE }
};
static const struct optword yesno[] = {
	{ "yes", 1 }, { "no", 0 }
};
static const struct optword vmm_modes[] = {
	{ "ok", VMM_OK }, { "ok-data", VMM_OK_DATA },
	{ "wrong", VMM_WRONG }, { "silent", VMM_SILENT },
	{ "huge", VMM_HUGE }, { "close", VMM_CLOSE },
	{ "partial", VMM_PARTIAL }
};

/*
 * The value of ARG, one of the N words W of option NAME, or a usage error
 * that lists them ("expected a, b or c").
 */
static int
opt_word(const char *name, const char *arg, const struct optword *w,
    size_t n)
{
	char list[256];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (strcmp(arg, w[i].word) == 0)
			return (w[i].value);
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
		    "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    w[i].word);
	tool_usage_error("%s: expected %s, not '%s'", name, list, arg);
}

/* What is sent and checked, and how a connection ends.  0: not ours. */
static int
opt_stream(struct peer_opts *o, int ch, const char *arg, struct optset *set)
{
	switch (ch) {
	case OPT_SEND:
		o->send = opt_size("--send", arg);
		break;
	case OPT_SEED:
		o->seed = tool_u64("--seed", arg, UINT64_MAX);
		set->seed = 1;
		break;
	case OPT_EXPECT:
		o->expect = opt_size("--expect", arg);
		if (o->expect == PEER_NONE)
			tool_usage_error("--expect: too large");
		break;
	case OPT_EXPECT_SEED:
		o->expect_seed = tool_u64("--expect-seed", arg, UINT64_MAX);
		set->expect_seed = 1;
		break;
	case OPT_ORDER:
		o->order = (enum peer_order)opt_word("--order", arg, orders,
		    NWORDS(orders));
		break;
	case OPT_END:
		o->end = (enum peer_end)opt_word("--end", arg, ends,
		    NWORDS(ends));
		break;
	case OPT_PROBE:
		o->probe_ms = (int64_t)tool_u64("--probe-epipe", arg,
		    3600 * 1000);
		if (o->probe_ms == 0)
			tool_usage_error("--probe-epipe: must be > 0");
		break;
	case OPT_EXPECT_EPIPE:
		o->expect_epipe = opt_word("--expect-epipe", arg, yesno,
		    NWORDS(yesno));
		break;
	case OPT_CHUNK:
		o->chunk = opt_bufsize("--chunk", arg);
		break;
	case OPT_RESET:
		o->reset_after = opt_size("--reset-after", arg);
		break;
	case OPT_VARY:
		o->vary = tool_u64("--vary", arg, UINT64_MAX);
		if (o->vary == 0)
			tool_usage_error("--vary: the seed must be > 0");
		break;
	case OPT_CORRUPT:
		o->corrupt = tool_u64("--corrupt", arg, UINT64_MAX - 1);
		break;
	default:
		return (0);
	}
	return (1);
}

/*
 * The sockets, their pace, the stand-in and the files shared with the
 * test.  0: not ours.
 */
static int
opt_socket(struct peer_opts *o, int ch, const char *arg, struct optset *set)
{
	switch (ch) {
	case OPT_CONNS:
		o->conns = (unsigned long)tool_u64("--conns", arg, 1000000);
		set->conns = 1;
		break;
	case OPT_READY:
		o->ready_file = arg;
		break;
	case OPT_CONNFILE:
		o->conn_file = arg;
		break;
	case OPT_WAITFILE:
		o->wait_file = arg;
		break;
	case OPT_DELAY:
		o->read_delay_ms = (int64_t)tool_u64("--read-delay-ms", arg,
		    3600 * 1000);
		break;
	case OPT_SEND_DELAY:
		o->send_delay_ms = (int64_t)tool_u64("--send-delay-ms", arg,
		    3600 * 1000);
		break;
	case OPT_REFUSED:
		o->expect_refused = 1;
		break;
	case OPT_BACKLOG:
		o->backlog = (int)tool_u64("--backlog", arg, 65535);
		break;
	case OPT_NO_ACCEPT:
		o->no_accept = 1;
		break;
	case OPT_HYBRID_VMM:
		o->vmm = (enum peer_vmm)opt_word("--hybrid-vmm", arg,
		    vmm_modes, NWORDS(vmm_modes));
		break;
	case OPT_BIND:
		o->bindstr = arg;
		break;
	case OPT_HYBRID_PORT:
		o->vmm_port = tool_u64("--hybrid-port", arg, UINT32_MAX);
		break;
	case OPT_SOCKBUF:
		o->sockbuf = (int)opt_bufsize("--sockbuf", arg);
		break;
	case OPT_TIMEOUT:
		if (parse_secs(arg, &o->timeout_ms) == -1)
			tool_usage_error("--timeout: invalid seconds '%s'",
			    arg);
		break;
	default:
		return (0);
	}
	return (1);
}

/* The address and --bind, parsed only once --listen is known. */
static void
opts_addresses(struct peer_opts *o, const char *addr)
{
	const char *err;

	o->addrstr = addr;
	if (peeraddr_parse(o->addrstr, o->listen, &o->addr, &err) == -1)
		tool_usage_error("%s: %s", o->addrstr, err);
	if (o->bindstr == NULL)
		return;
	if (o->listen)
		tool_usage_error("--bind: connect only");
	if (peeraddr_parse(o->bindstr, 1, &o->bind, &err) == -1)
		tool_usage_error("--bind %s: %s", o->bindstr, err);
	if (o->bind.family != o->addr.family)
		tool_usage_error("--bind %s: not the family of %s",
		    o->bindstr, o->addrstr);
}

/* Defaults that depend on other options, and options that clash. */
static void
opts_check(struct peer_opts *o, const struct optset *set)
{
	if (!set->seed)
		o->seed = o->listen ? 2 : 1;
	if (!set->expect_seed)
		o->expect_seed = o->listen ? 1 : 2;
	if (o->expect_epipe != -1 && o->probe_ms == 0)
		o->probe_ms = DEFAULT_PROBE;
	if (o->expect_refused) {
		if (o->listen)
			tool_usage_error("--expect-refused: connect only");
		if (o->send != 0 || o->expect != PEER_NONE ||
		    o->probe_ms != 0)
			tool_usage_error("--expect-refused: no --send, "
			    "--expect or probe with it");
	}
	if (!o->listen && set->conns && o->conns == 0)
		tool_usage_error("--conns: connect needs at least 1");
	if (!o->listen && (o->ready_file != NULL || o->no_accept))
		tool_usage_error("--ready-file and --no-accept: listen only");
	if (!o->listen && o->vmm != VMM_NONE)
		tool_usage_error("--hybrid-vmm: listen only");
	if (o->vmm == VMM_NONE && o->vmm_port != PEER_NONE)
		tool_usage_error("--hybrid-port: only with --hybrid-vmm");
}

void
peeropts_parse(struct peer_opts *o, int argc, char **argv)
{
	struct optset set = { 0, 0, 0 };
	int ch;

	memset(o, 0, sizeof(*o));
	o->listen = strcmp(argv[0], "listen") == 0;
	o->expect = PEER_NONE;
	o->corrupt = PEER_NONE;
	o->vmm_port = PEER_NONE;
	o->reset_after = PEER_NONE;
	o->chunk = DEFAULT_CHUNK;
	o->timeout_ms = DEFAULT_TIMEOUT * 1000;
	o->expect_epipe = -1;
	o->order = ORDER_DUPLEX;
	o->end = END_SHUTDOWN;
	o->conns = 1;
	o->backlog = SOMAXCONN;
	o->expect_msgs = PEER_NONE;
	o->msg_max = PEER_MSG_DEFAULT_MAX;

	while ((ch = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
		if (opt_stream(o, ch, optarg, &set) ||
		    opt_socket(o, ch, optarg, &set) ||
		    opt_message(o, ch, optarg))
			continue;
		switch (ch) {
		case 'v':
			o->verbose++;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			peeropts_usage(stdout);
			exit(EX_OK);
		case 'V':
			peeropts_version();
			exit(EX_OK);
		default:
			tool_usage_error("bad option");
		}
	}
	if (optind == argc)
		tool_usage_error("no address given");
	if (optind != argc - 1)
		tool_usage_error("one address only, '%s' is extra",
		    argv[optind + 1]);
	opts_addresses(o, argv[optind]);
	opts_check(o, &set);
	opts_check_message(o);
}
