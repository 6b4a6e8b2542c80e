/* engine/addr.h — IP addresses, prefixes and hardware addresses in their canonical forms.
 *
 * IP: 16 bytes, IPv4 stored v4-mapped (::ffff:a.b.c.d) so one index orders both families and a
 * v4 CIDR is one contiguous key range. Text: dotted quad for v4, RFC 5952 for v6. Parsing strips
 * a %zone suffix and surrounding brackets; "::ffff:10.1.2.3" is the IPv4 address 10.1.2.3.
 * MAC: 12 lowercase hex digits. Accepted notations: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF,
 * aabb.ccdd.eeff, AABBCCDDEEFF, with a "1 " / "hwtype=1 " / "06-"/"01-" hardware-type prefix.
 */
#ifndef IPL_ADDR_H
#define IPL_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define IPL_IP_TEXT 48      /* buffer size for ipl_ip_format */

int    ipl_ip_parse(const char *s, size_t len, uint8_t out[16]);   /* IPL_OK or IPL_EPARSE */
size_t ipl_ip_format(const uint8_t ip[16], char *buf, size_t n);  /* returns length */
int    ipl_ip_is_v4(const uint8_t ip[16]);

/* A prefix "10.72.144.0/22", "2001:db8::/32", or a bare address (/32 or /128). The range is
 * [lo, hi] inclusive in 16-byte form; host bits set in the text are an error unless `lenient`. */
typedef struct ipl_prefix {
    uint8_t lo[16], hi[16];
    int     bits;           /* prefix length in the 128-bit space (v4 /22 -> 118) */
    int     v4;
} ipl_prefix;
int ipl_prefix_parse(const char *s, size_t len, int lenient, ipl_prefix *out);
int ipl_prefix_contains(const ipl_prefix *p, const uint8_t ip[16]);
/* Formats a prefix back to text ("10.72.144.0/22"). */
size_t ipl_prefix_format(const ipl_prefix *p, char *buf, size_t n);

/* Canonical MAC; IPL_OK with out = 12 hex digits + NUL, or IPL_EPARSE. */
int ipl_mac_canon(const char *s, size_t len, char out[13]);
/* Hex string of any length to lowercase canonical hex (DUIDs, Windows' uppercase hex); separators
 * ':' and '-' removed; out must hold 2*bytes+1; IPL_EPARSE on odd length or a non-hex digit. */
int ipl_hex_canon(const char *s, size_t len, char *out, size_t outsz);
/* The MAC inside a DUID-LLT (type 1) or DUID-LL (type 3) with Ethernet hardware type, given as
 * canonical hex; IPL_ENOTFOUND for DUID-EN/UUID or other hardware types. */
int ipl_duid_mac(const char *duid_hex, char out[13]);

#endif
