/*
 * opts_usage: the text of --help, in step with vsockproxy(8).
 */
#include "config.h"

#include "opts.h"

const char *
opts_usage(void)
{

	return (
"usage: vsockproxy [options] LOCAL_PORT REMOTE_CID REMOTE_PORT ALLOWED_CID\n"
"       vsockproxy [options] --listen ADDR --connect ADDR [--allow CIDS]\n"
"       vsockproxy [options] [-c FILE]\n"
"       vsockproxy -t | -T [-c FILE]\n"
"\n"
"Relay connections from a listening endpoint to a target endpoint.\n"
"The first form listens on vsock port LOCAL_PORT and forwards to\n"
"vsock:REMOTE_CID:REMOTE_PORT; ALLOWED_CID 0 lets any CID connect.\n"
"Without ALLOWED_CID (Ghaf's older three-number form, deprecated),\n"
"any CID may connect.\n"
"Without a rule on the command line, the rules come from the\n"
"configuration file (" DEFAULT_CONFIG "); SIGHUP reloads it.\n"
"\n"
"Addresses:\n"
"  vsock:PORT  vsock:CID:PORT  tcp:HOST:PORT  tcp:[IPV6]:PORT  unix:PATH\n"
"  hybrid-vsock:PATH:PORT    connect only: guest vsock PORT through the\n"
"                            Firecracker / Cloud Hypervisor socket PATH\n"
"\n"
"Options:\n"
"  -c, --config FILE         read the rules from FILE\n"
"  -t, --check-config        check the configuration file and exit\n"
"  -T, --print-config        check it and print the effective configuration\n"
"  --listen ADDR             accept connections on ADDR\n"
"  --connect ADDR            forward each connection to ADDR\n"
"  --allow CID[,CID|LO-HI..] vsock peers that may connect (default any)\n"
"  --connect-timeout SECS    give up on the target after SECS (2)\n"
"  --buffer-size BYTES       buffer per direction, k/M suffixes (256k)\n"
"  --max-conns N             stop accepting at N connections (0 = no limit)\n"
"  --shutdown-timeout SECS   on SIGTERM, wait SECS for connections (5)\n"
"  --event-backend NAME      epoll or poll (" DEFAULT_EVENT_BACKEND ")\n"
"  --stats-interval SECS     log statistics every SECS, 0 = off (60)\n"
"  --max-buffer-memory BYTES all relay buffers together, 0 = no limit\n"
"                            (256M)\n"
"  --control PATH            serve the control socket (vsockproxyctl(8))\n"
"                            on the UNIX socket PATH\n"
"  -d, --daemon              detach; log to syslog\n"
"  -p, --pidfile PATH        write and lock a pid file\n"
"  -u, --user USER           once started, run as USER (name or uid)\n"
"  -g, --group GROUP         with -u: the group (default: USER's group)\n"
"  -s, --syslog[=FACILITY]   log to syslog (facility daemon)\n"
"  -v, --verbose             log each connection; twice for debug\n"
"  -q, --quiet               log errors only\n"
"  -h, --help                show this help\n"
"  -V, --version             show the version\n"
"\n"
"Under systemd: NOTIFY_SOCKET (Type=notify) and LISTEN_FDS/LISTEN_FDNAMES\n"
"(socket activation, sockets matched to rules by name) are honoured.\n"
"\n"
"Exit status: 0 on a clean stop, 1 if start-up failed, 64 on bad usage;\n"
"with -t and -T, 0 if the configuration is valid, 1 if not.\n"
"See vsockproxy(8).\n");
}
