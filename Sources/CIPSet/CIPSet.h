// libmnl (Debian: libmnl-dev) and the kernel's ip set netlink header, imported into Swift as they
// are, for NatgateIPSet. No C code lives here: only what Swift needs to see.
// netinet/in.h before any linux/ header: then linux/libc-compat.h leaves in_addr and friends to
// glibc, and the two definitions do not clash in Swift.
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <libmnl/libmnl.h>
