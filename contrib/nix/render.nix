# The text of vsockproxy.conf(5) from the NixOS module's rules (module.nix).
# Builtins only, no nixpkgs: so that tests/nix-parse.sh can evaluate it on
# a machine without nixpkgs, and check what it writes with "vsockproxy -t".
#
#   (import ./render.nix).renderConfig {
#     rules.chrome-vm-gui = {
#       listen = "vsock:11105"; connect = "vsock:3:11100"; allow = [ 5 ];
#     };
#   }
#
# A rule is an attribute set with listen and connect, and optionally:
# allow, deny (vsock CIDs or "lo-hi" ranges), allowUid (uids or names),
# allowAddr (prefixes), maxConns, maxConnsPerPeer, maxConnRate,
# idleTimeout, connectTimeout, bufferSize (null or absent: the default)
# and extraConfig (lines of the file's syntax, put inside the block).
# Rules come out in the order of their names.
let
  inherit (builtins) attrNames concatStringsSep filter isList length
    replaceStrings split toString;

  hasChar = c: s: length (split c s) > 1;

  # A value as the file reads it: in double quotes if it holds a blank, a
  # quote, a backslash or "#", which would otherwise split or end it.  A
  # line break or a tab cannot be written: the file is read by lines.
  value = v:
    let s = toString v; in
    if hasChar "\n" s || hasChar "\r" s then
      throw "vsockproxy: a value may not hold a line break: ${s}"
    else if s == "" then
      throw "vsockproxy: an empty value"
    else if hasChar "[ \t\"#\\\\]" s then
      "\"" + replaceStrings [ "\\" "\"" ] [ "\\\\" "\\\"" ] s + "\""
    else s;

  line = key: v: "\t${key} ${value v}\n";

  # A list, one line with the entries joined by commas; nothing if empty.
  list = key: vs:
    if vs == [ ] then ""
    else line key (concatStringsSep "," (map toString vs));

  # A number or size, if set.
  opt = key: v: if v == null then "" else line key v;

  indent = text:
    concatStringsSep "\n" (map (l: if l == "" then l else "\t" + l)
      (filter (l: !isList l && l != "") (split "\n" text)));

  # The file's own rule for names, checked here for a clearer message.
  ruleName = name:
    if builtins.match "[A-Za-z0-9._-]{1,64}" name == null then
      throw ("vsockproxy: rule name '${name}': letters, digits, '.', "
        + "'-' and '_', at most 64")
    else name;

  renderRule = name: r:
    "rule ${ruleName name} {\n"
    + line "listen" r.listen
    + line "connect" r.connect
    + list "allow" (r.allow or [ ])
    + list "deny" (r.deny or [ ])
    + list "allow-uid" (r.allowUid or [ ])
    + list "allow-addr" (r.allowAddr or [ ])
    + opt "max-conns" (r.maxConns or null)
    + opt "max-conns-per-peer" (r.maxConnsPerPeer or null)
    + opt "max-conn-rate" (r.maxConnRate or null)
    + opt "idle-timeout" (r.idleTimeout or null)
    + opt "connect-timeout" (r.connectTimeout or null)
    + opt "buffer-size" (r.bufferSize or null)
    + (if (r.extraConfig or "") == "" then ""
       else indent r.extraConfig + "\n")
    + "}\n";

  renderConfig = { rules ? { }, extraConfig ? "" }:
    "# Written by the NixOS module services.vsockproxy; see "
    + "vsockproxy.conf(5).\n"
    + (if extraConfig == "" then "" else "\n" + extraConfig
       + (if hasChar "\n$" extraConfig then "" else "\n"))
    + concatStringsSep "" (map (n: "\n" + renderRule n rules.${n})
      (attrNames rules));
in
{
  inherit value renderRule renderConfig;
}
