# A NixOS module for vsockproxy: services.vsockproxy.
#
#   imports = [ ./contrib/nix/module.nix ];
#   services.vsockproxy = {
#     enable = true;
#     rules.chrome-vm-gui = {
#       listen = "vsock:11105";
#       connect = "vsock:3:11100";
#       allow = [ 5 ];
#     };
#   };
#
# The rules are written to /etc/vsockproxy.conf (vsockproxy.conf(5)),
# checked with "vsockproxy -t" when the system is built, and served by one
# hardened service.  A change of the rules reloads the service (SIGHUP),
# which keeps every open connection; a change of the package or of the
# service restarts it.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.vsockproxy;
  inherit (lib) literalExpression mkEnableOption mkIf mkOption types;
  render = import ./render.nix;

  seconds = types.nullOr (types.either types.ints.unsigned
    (types.either types.float types.str));
  count = types.nullOr types.ints.unsigned;
  cidList = types.listOf (types.either types.ints.unsigned types.str);

  ruleOptions = { name, ... }: {
    options = {
      listen = mkOption {
        type = types.str;
        example = "vsock:11105";
        description = ''
          The address to accept connections on: vsock:PORT,
          vsock:CID:PORT, tcp:HOST:PORT or unix:PATH.
        '';
      };
      connect = mkOption {
        type = types.str;
        example = "vsock:3:11100";
        description = ''
          The address each connection is relayed to: as for listen, or
          hybrid-vsock:PATH:PORT.
        '';
      };
      allow = mkOption {
        type = cidList;
        default = [ ];
        example = [ 5 "10-20" ];
        description = ''
          For a vsock listener, the peer CIDs (or "lo-hi" ranges) that may
          connect.  Empty: every VM on the host may.
        '';
      };
      deny = mkOption {
        type = cidList;
        default = [ ];
        description = "vsock CIDs refused even if allow lets them in.";
      };
      allowUid = mkOption {
        type = types.listOf (types.either types.ints.unsigned types.str);
        default = [ ];
        example = [ "root" 1000 ];
        description = ''
          For a UNIX listener, the users whose processes may connect.
          Names are looked up when the file is checked at build time too:
          use numbers, or set checkConfig to false, for users the build
          sandbox does not know.
        '';
      };
      allowAddr = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "127.0.0.0/8" "::1" ];
        description = "For a TCP listener, the peer prefixes let in.";
      };
      maxConns = mkOption {
        type = count;
        default = null;
        description = "Stop accepting at this many open connections.";
      };
      maxConnsPerPeer = mkOption {
        type = count;
        default = null;
        description = "Refuse a peer's connections beyond this many.";
      };
      maxConnRate = mkOption {
        type = count;
        default = null;
        description = "Refuse a peer's connections beyond this rate (/s).";
      };
      idleTimeout = mkOption {
        type = seconds;
        default = null;
        description = "Close a connection idle for this many seconds.";
      };
      connectTimeout = mkOption {
        type = seconds;
        default = null;
        description = "Give up on a silent target after this many seconds.";
      };
      bufferSize = mkOption {
        type = types.nullOr (types.either types.ints.positive types.str);
        default = null;
        example = "64k";
        description = "The buffer for each direction of each connection.";
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
        description = "More lines of vsockproxy.conf(5) inside the rule.";
      };
    };
  };

  configText = render.renderConfig {
    inherit (cfg) rules extraConfig;
  };

  # Checked by the daemon's own parser when the system is built, so that
  # a typo fails the build rather than the service.  The file is the
  # builder's and not group-writable, as the daemon demands.
  configFile = pkgs.runCommand "vsockproxy.conf"
    {
      text = configText;
      passAsFile = [ "text" ];
      nativeBuildInputs = lib.optional cfg.checkConfig cfg.package;
      preferLocalBuild = true;
    } ''
    install -m 0644 "$textPath" "$out"
    ${lib.optionalString cfg.checkConfig ''vsockproxy -t -c "$out"''}
  '';

  openVsock = lib.filterAttrs
    (_: r: lib.hasPrefix "vsock:" r.listen && r.allow == [ ]) cfg.rules;
in
{
  options.services.vsockproxy = {
    enable = mkEnableOption "vsockproxy, the VM socket relay";

    package = mkOption {
      type = types.package;
      # Not pkgs.vsockproxy: in Ghaf's overlay that may still be the
      # older tool, which knows no configuration file.
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./package.nix { }";
      description = ''
        The vsockproxy package to run: this one, or another build of it
        (the module needs -c and -t, which Ghaf's older tool lacks).
      '';
    };

    rules = mkOption {
      type = types.attrsOf (types.submodule ruleOptions);
      default = { };
      example = literalExpression ''
        {
          chrome-vm-gui = {
            listen = "vsock:11105";
            connect = "vsock:3:11100";
            allow = [ 5 ];
          };
        }
      '';
      description = ''
        The rules, by name (letters, digits, ".", "-" and "_"), written to
        /etc/vsockproxy.conf as "rule NAME { ... }" blocks.
      '';
    };

    extraConfig = mkOption {
      type = types.lines;
      default = "";
      example = ''
        stats-interval 300
        defaults {
        	max-conns-per-peer 16
        }
        include /etc/vsockproxy.d/*.conf
      '';
      description = ''
        Lines of vsockproxy.conf(5) before the rules: global settings, a
        defaults block, includes.
      '';
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "-v" ];
      description = "More command-line options of vsockproxy(8).";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Check the file with "vsockproxy -t" when the system is built.
        Turn off only if it names users or hosts that the build sandbox
        cannot resolve.
      '';
    };
  };

  config = mkIf cfg.enable {
    warnings = lib.mapAttrsToList
      (name: _: "services.vsockproxy.rules.${name}: no allow list: "
        + "every VM on the host may connect")
      openVsock;

    environment.etc."vsockproxy.conf".source = configFile;

    systemd.services.vsockproxy = {
      description = "vsockproxy VM socket relay";
      documentation = [ "man:vsockproxy(8)" "man:vsockproxy.conf(5)" ];
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      # The file's path stays /etc/vsockproxy.conf: a new one is a reload,
      # which keeps the open connections, not a restart.
      reloadTriggers = [ configFile ];

      serviceConfig = {
        # READY=1 once every listener is bound, RELOADING=1/READY=1
        # around a reload, STOPPING=1 on SIGTERM.
        Type = "notify";
        NotifyAccess = "main";
        ExecStart = "${lib.getExe cfg.package} -c /etc/vsockproxy.conf"
          + lib.optionalString (cfg.extraArgs != [ ])
          (" " + lib.escapeShellArgs cfg.extraArgs);
        # SIGHUP reloads the file (SIGUSR1 logs statistics).
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Restart = "on-failure";
        RestartSec = "1s";
        # For unix: listeners under /run/vsockproxy.
        RuntimeDirectory = "vsockproxy";

        # The sandbox of contrib/systemd/vsockproxy.service.in: a relay
        # needs its sockets and nothing else.
        DynamicUser = true;
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        MemoryDenyWriteExecute = true;
        RestrictAddressFamilies =
          [ "AF_VSOCK" "AF_UNIX" "AF_INET" "AF_INET6" ];
        SystemCallFilter = [ "@system-service" ];
        SystemCallArchitectures = "native";
        # vsock and TCP ports below 1024 need this one capability.
        CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE" ];
        AmbientCapabilities = [ "CAP_NET_BIND_SERVICE" ];
        UMask = "0077";
      };
    };
  };
}
