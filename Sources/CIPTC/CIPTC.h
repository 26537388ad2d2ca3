// libiptc (IPv4 and IPv6) and the kernel's netfilter headers, imported into Swift as they are.
// No C code lives here: only what Swift needs to see. See shared facts: zero-length arrays and
// function-like macros do not import; the backend uses raw offsets for those.
#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/x_tables.h>
