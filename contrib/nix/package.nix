# vsockproxy for Nix, in the callPackage style of nixpkgs:
#
#   vsockproxy = pkgs.callPackage ./contrib/nix/package.nix { };
#
# built from this source tree, or from the src you pass (a fetched
# release: then pass its version too).  Ghaf's modules run
# ${pkgs.vsockproxy}/bin/vsockproxy, so the daemon goes into bin/, not
# sbin/.
#
# No libsystemd: the daemon speaks sd_notify and takes socket activation
# by itself, so the package has no run-time dependency beyond libc.
{ lib
, stdenv
, autoreconfHook
, pkg-config
, src ? lib.cleanSource ../..
  # One version, that of the tree's configure.ac.
, version ? builtins.head (builtins.match
    ".*AC_INIT[(][[]vsockproxy[]], [[]([^]]+)[]].*"
    (builtins.readFile ../../configure.ac))
}:

stdenv.mkDerivation {
  pname = "vsockproxy";
  inherit version src;

  # pkg-config: its macros for configure.ac (PKG_CHECK_MODULES), not a
  # library.
  nativeBuildInputs = [ autoreconfHook pkg-config ];
  strictDeps = true;
  enableParallelBuilding = true;

  configureFlags = [
    "--sbindir=${placeholder "out"}/bin"
    # Compiled in: the default configuration file is /etc/vsockproxy.conf,
    # where the NixOS module writes it, and the units name /run.
    "--sysconfdir=/etc"
    "--localstatedir=/var"
    "--runstatedir=/run"
    # The units, with their paths into this package; pkg-config would
    # find no systemd here.
    "--with-systemdsystemunitdir=${placeholder "out"}/lib/systemd/system"
  ];
  # Anything "make install" puts under /etc or /var goes into $out
  # instead (the paths compiled in stay /etc and /var).
  installFlags = [
    "sysconfdir=${placeholder "out"}/etc"
    "localstatedir=${placeholder "out"}/var"
  ];

  # Most of the suite needs a vsock-capable host or QEMU guests (vmtest),
  # and the end-to-end tests bind loopback ports: not for a Nix sandbox.
  doCheck = false;

  meta = {
    description = "Relay between VMs over VM sockets, with access control";
    longDescription = ''
      vsockproxy is a host-side daemon that lets virtual machines talk to
      each other over VM sockets under access control: a guest connects
      to the host on a vsock port, the proxy checks its CID and relays to
      the target, over vsock, TCP, UNIX sockets or a Firecracker / Cloud
      Hypervisor hybrid vsock socket.  Compatible with the command line of
      Ghaf's vsockproxy.
    '';
    license = lib.licenses.asl20;
    platforms = lib.platforms.linux;
    mainProgram = "vsockproxy";
  };
}
