# contrib/: service files, filled in at make time so paths follow
# --prefix, --sysconfdir and --runstatedir.
contrib_generated = contrib/systemd/vsockproxy.service \
	contrib/systemd/vsockproxy@.service \
	contrib/systemd/vsockproxy.socket \
	contrib/sysvinit/vsockproxy contrib/openrc/vsockproxy \
	contrib/vsockproxy.conf.example
noinst_DATA = $(contrib_generated)
CLEANFILES += $(contrib_generated)
EXTRA_DIST += $(contrib_generated:=.in)

$(contrib_generated): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(edit_paths) $(srcdir)/$@.in > $@.tmp && \
	case $@ in */sysvinit/*|*/openrc/*) chmod +x $@.tmp ;; esac && \
	mv $@.tmp $@
contrib/systemd/vsockproxy.service: $(srcdir)/contrib/systemd/vsockproxy.service.in
contrib/systemd/vsockproxy@.service: $(srcdir)/contrib/systemd/vsockproxy@.service.in
contrib/systemd/vsockproxy.socket: $(srcdir)/contrib/systemd/vsockproxy.socket.in
contrib/sysvinit/vsockproxy: $(srcdir)/contrib/sysvinit/vsockproxy.in
contrib/openrc/vsockproxy: $(srcdir)/contrib/openrc/vsockproxy.in
contrib/vsockproxy.conf.example: $(srcdir)/contrib/vsockproxy.conf.example.in

# A commented configuration to start from, next to the documentation.
doc_DATA = contrib/vsockproxy.conf.example
# The init scripts, where configure (--with-sysvinitdir,
# --with-openrcdir) or make's command line says; nowhere by default.
sysvinit_SCRIPTS = contrib/sysvinit/vsockproxy
openrc_SCRIPTS = contrib/openrc/vsockproxy

# Nix and NixOS (Ghaf): not built or installed, shipped for Nix to use.
EXTRA_DIST += contrib/nix/README.md contrib/nix/package.nix \
	contrib/nix/module.nix contrib/nix/render.nix

if HAVE_SYSTEMD
systemdsystemunit_DATA = contrib/systemd/vsockproxy.service \
	contrib/systemd/vsockproxy@.service \
	contrib/systemd/vsockproxy.socket
endif
