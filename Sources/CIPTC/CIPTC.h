// libiptc (IPv4 and IPv6) and the kernel's netfilter headers, imported into Swift as they are.
// No C code lives here: only what Swift needs to see. See shared facts: zero-length arrays and
// function-like macros do not import; the backend uses raw offsets for those.
#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
// CLONE_NEWNET, for setns(2).
#include <linux/sched.h>

// Swift's Glibc module is built without _GNU_SOURCE, so it does not export setns(2). This is
// glibc's own prototype of it (sched.h), declared here so that NetworkNamespace can call it.
extern int setns(int fd, int nstype);
