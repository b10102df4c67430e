# man/: the pages, filled in at make time so that the paths they name
# are the configured ones (edit_paths, in Makefile.am).
man_generated = man/vsockproxy.8 man/vsockproxy.conf.5 \
	man/vsockproxyctl.8
man_MANS = $(man_generated)
CLEANFILES += $(man_generated)
EXTRA_DIST += $(man_generated:=.in)

$(man_generated): Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(edit_paths) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
man/vsockproxy.8: $(srcdir)/man/vsockproxy.8.in
man/vsockproxy.conf.5: $(srcdir)/man/vsockproxy.conf.5.in
man/vsockproxyctl.8: $(srcdir)/man/vsockproxyctl.8.in
