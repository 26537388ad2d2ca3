// libnftnl and libmnl (Debian: libnftnl-dev, libmnl-dev) and the kernel's nf_tables netlink
// headers, imported into Swift as they are. No C code lives here: only what Swift needs to see.
// netinet/in.h before any linux/ header: then linux/libc-compat.h leaves in_addr and friends to
// glibc, and the two definitions do not clash in Swift.
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
