#!/bin/sh
# nix-parse: contrib/nix (issue #13).  package.nix, module.nix and
# render.nix parse; the configuration file render.nix writes for a sample
# of rules is exactly the one below, which "vsockproxy -t" accepts; the
# package puts the daemon in bin/ with configure.ac's version; and the
# module, evaluated against a stub of nixpkgs' lib (this machine has no
# nixpkgs), runs one notify service that reloads on a new file checked
# at build time.  What the stubs cannot show: that the options type-check
# under the real lib, that the derivation builds, that the service starts.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

NIX="$top_srcdir/contrib/nix"

# The sample: Ghaf's waypipe channel, a range with a hole, a UNIX and a
# TCP listener, a path that needs quotes, and lines of the file's own.
cat >"$T/sample.nix" <<'NIX'
{
  extraConfig = ''
    stats-interval 300
    defaults {
    	max-conns-per-peer 16
    }
  '';
  rules = {
    chrome-vm-gui = {
      listen = "vsock:11105";
      connect = "vsock:3:11100";
      allow = [ 5 ];
    };
    log-sink = {
      listen = "vsock:5140";
      connect = "unix:/run/log sink#1.sock";
      allow = [ "10-50" 60 ];
      deny = [ 13 ];
      maxConnsPerPeer = 2;
      idleTimeout = "0.5";
      bufferSize = "64k";
      extraConfig = "max-conn-rate 5\n";
    };
    admin = {
      listen = "unix:/run/vsockproxy/admin.sock";
      connect = "vsock:7:22";
      allowUid = [ "root" 1000 ];
    };
    debug = {
      listen = "tcp:127.0.0.1:8022";
      connect = "vsock:4:22";
      allowAddr = [ "127.0.0.1" "::1" ];
      connectTimeout = 5;
      maxConns = null;
    };
    open = {
      listen = "vsock:6000";
      connect = "vsock:4:6000";
    };
  };
}
NIX

cat >"$T/expected.conf" <<'CONF'
# Written by the NixOS module services.vsockproxy; see vsockproxy.conf(5).

stats-interval 300
defaults {
	max-conns-per-peer 16
}

rule admin {
	listen unix:/run/vsockproxy/admin.sock
	connect vsock:7:22
	allow-uid root,1000
}

rule chrome-vm-gui {
	listen vsock:11105
	connect vsock:3:11100
	allow 5
}

rule debug {
	listen tcp:127.0.0.1:8022
	connect vsock:4:22
	allow-addr 127.0.0.1,::1
	connect-timeout 5
}

rule log-sink {
	listen vsock:5140
	connect "unix:/run/log sink#1.sock"
	allow 10-50,60
	deny 13
	max-conns-per-peer 2
	idle-timeout 0.5
	buffer-size 64k
	max-conn-rate 5
}

rule open {
	listen vsock:6000
	connect vsock:4:6000
}
CONF

# -t parses the file and starts nothing: no vsock socket is opened.
if [ -x "$VSOCKPROXY" ]; then
	timeout 5 "$VSOCKPROXY" -t -c "$T/expected.conf" >"$T/t.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "vsockproxy -t accepts the file the module writes"
	else
		not_ok "vsockproxy -t accepts the file the module writes"
		diag "exit $rc"
		diag_file "$T/t.out"
	fi
else
	skip "vsockproxy -t accepts the file the module writes" \
	    "no daemon at $VSOCKPROXY"
fi

# The rest needs Nix (Debian: nix-bin), but no nixpkgs and no network.
why=
if ! command -v nix-instantiate >/dev/null 2>&1; then
	why="nix-instantiate is not installed"
elif ! nix-instantiate --eval -E 1 >"$T/probe" 2>&1; then
	why="nix-instantiate cannot run here: $(head -n 1 "$T/probe")"
fi
if [ -n "$why" ]; then
	for what in "package.nix parses" "module.nix parses" \
	    "render.nix parses" "the module writes the file above" \
	    "render.nix refuses what the file cannot hold" \
	    "package.nix: daemon in bin/, version of configure.ac" \
	    "module.nix: one notify service, reloaded on a new file"; do
		skip "$what" "$why"
	done
	done_testing
fi

for f in package.nix module.nix render.nix; do
	if nix-instantiate --parse "$NIX/$f" >/dev/null 2>"$T/parse.err"; then
		ok "$f parses"
	else
		not_ok "$f parses"
		diag_file "$T/parse.err"
	fi
done

# eval NAME EXPR: evaluate strictly to JSON in $T/NAME.json; 0 if it did.
eval_nix() {
	nix-instantiate --eval --strict --json -E "$2" >"$T/$1.json" \
	    2>"$T/$1.err"
}

# Compared in Nix: it prints strings with escapes, and no tool to undo
# them need be installed.
if eval_nix render "let r = (import $NIX/render.nix).renderConfig
    (import $T/sample.nix); in
    { same = r == builtins.readFile $T/expected.conf; text = r; }" &&
    grep -q '"same":true' "$T/render.json"; then
	ok "the module writes the file above"
else
	not_ok "the module writes the file above"
	diag_file "$T/render.err"
	diag_file "$T/render.json"
fi

refused=0
for bad in 'rules."a b" = { listen = "vsock:1"; connect = "vsock:2:1"; };' \
    'rules.a = { listen = "vsock:1\nrule x {"; connect = "vsock:2:1"; };' \
    'rules.a = { listen = "vsock:1"; connect = ""; };'; do
	if ! eval_nix bad "(import $NIX/render.nix).renderConfig { $bad }" &&
	    grep -q "vsockproxy: " "$T/bad.err"; then
		refused=$((refused + 1))
	else
		diag "accepted: $bad"
	fi
done
is "$refused" 3 "render.nix refuses what the file cannot hold"

version=$(sed -n 's/^AC_INIT(\[vsockproxy\], \[\([^]]*\)\].*/\1/p' \
    "$top_srcdir/configure.ac")
if eval_nix package "let p = import $NIX/package.nix {
      lib = { cleanSource = x: x; licenses.asl20 = \"asl20\";
        platforms.linux = [ ]; };
      stdenv.mkDerivation = a: a;
      autoreconfHook = null;
      pkg-config = null;
    };
    out = builtins.placeholder \"out\";
    has = f: builtins.elem f p.configureFlags;
    checks = {
      bin = has \"--sbindir=\${out}/bin\";
      etc = has \"--sysconfdir=/etc\" && has \"--runstatedir=/run\";
      install = builtins.elem \"sysconfdir=\${out}/etc\" p.installFlags;
      version = p.version == \"$version\";
      main = p.meta.mainProgram == \"vsockproxy\";
      nocheck = !p.doCheck;
    }; in
    builtins.filter (n: !checks.\${n}) (builtins.attrNames checks)" &&
    [ "$(cat "$T/package.json")" = '[]' ]; then
	ok "package.nix: daemon in bin/, version of configure.ac ($version)"
else
	not_ok "package.nix: daemon in bin/, version of configure.ac"
	diag_file "$T/package.err"
	diag "failed: $(cat "$T/package.json")"
fi

# The module against stubs: each lib function it uses, as small as can
# be; the rules filled in with the defaults the real submodule would add.
cat >"$T/stub.nix" <<'NIX'
sample:
let
  id = x: x;
  names = builtins.attrNames;
  t = "type";
  types = {
    str = t; bool = t; package = t; lines = t; float = t;
    ints = { unsigned = t; positive = t; };
    either = a: b: t; nullOr = a: t; listOf = a: t; attrsOf = a: t;
    submodule = a: t;
  };
  lib = {
    inherit types;
    mkOption = id;
    mkEnableOption = d: { description = d; };
    mkIf = c: v: if c then v else { };
    literalExpression = id;
    mapAttrsToList = f: a: map (n: f n a.${n}) (names a);
    filterAttrs = p: a: builtins.listToAttrs (builtins.filter
      (x: p x.name x.value)
      (map (n: { name = n; value = a.${n}; }) (names a)));
    hasPrefix = p: s:
      builtins.substring 0 (builtins.stringLength p) s == p;
    optional = c: x: if c then [ x ] else [ ];
    optionalString = c: s: if c then s else "";
    getExe = p: "${p.outPath}/bin/${p.meta.mainProgram}";
    escapeShellArgs = l:
      builtins.concatStringsSep " " (map (x: "'${x}'") l);
  };
  package = { outPath = "/pkg"; meta.mainProgram = "vsockproxy"; };
  pkgs = {
    coreutils = "/coreutils";
    callPackage = f: a: package;
    runCommand = name: env: script:
      { inherit name env script; outPath = "/conf"; };
  };
  ruleDefaults = {
    allow = [ ]; deny = [ ]; allowUid = [ ]; allowAddr = [ ];
    maxConns = null; maxConnsPerPeer = null; maxConnRate = null;
    idleTimeout = null; connectTimeout = null; bufferSize = null;
    extraConfig = "";
  };
  cfg = {
    enable = true;
    inherit package;
    rules = builtins.mapAttrs (_: r: ruleDefaults // r) sample.rules;
    extraConfig = sample.extraConfig;
    extraArgs = [ "-v" ];
    checkConfig = true;
  };
  m = import ./module.nix {
    config.services.vsockproxy = cfg;
    inherit lib pkgs;
  };
  c = m.config;
  s = c.systemd.services.vsockproxy;
  conf = c.environment.etc."vsockproxy.conf".source;
  checks = {
  options = names m.options.services.vsockproxy == [ "checkConfig"
    "enable" "extraArgs" "extraConfig" "package" "rules" ];
  notify = s.serviceConfig.Type == "notify";
  exec = s.serviceConfig.ExecStart
    == "/pkg/bin/vsockproxy -c /etc/vsockproxy.conf '-v'";
  reload = s.serviceConfig.ExecReload == "/coreutils/bin/kill -HUP $MAINPID";
  triggers = s.reloadTriggers == [ conf ];
  checked = builtins.match ".*vsockproxy -t -c \"[$]out\".*" conf.script
    != null && conf.env.nativeBuildInputs == [ package ];
  hardened = s.serviceConfig.DynamicUser
    && s.serviceConfig.ProtectSystem == "strict";
  warns = c.warnings == [ ("services.vsockproxy.rules.open: no allow "
    + "list: every VM on the host may connect") ];
  };
in
{
  failed = builtins.filter (n: !checks.${n}) (names checks);
  text = conf.env.text;
}
NIX
# The stub is imported from a copy beside module.nix, which it names.
cp "$NIX/module.nix" "$NIX/render.nix" "$T/"
if eval_nix module "let m = import $T/stub.nix (import $T/sample.nix); in
    { inherit (m) failed;
      text = m.text == builtins.readFile $T/expected.conf; }" &&
    [ "$(cat "$T/module.json")" = '{"failed":[],"text":true}' ]; then
	ok "module.nix: one notify service, reloaded on a new file"
else
	not_ok "module.nix: one notify service, reloaded on a new file"
	diag_file "$T/module.err"
	diag "$(cat "$T/module.json")"
fi

done_testing
