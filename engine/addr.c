/* engine/addr.c — canonical IP, prefix and MAC forms; see addr.h. */
#include "engine/addr.h"
#include "engine/err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ipl_ip_is_v4(const uint8_t ip[16])
{
    return memcmp(ip, v4_mapped_prefix, 12) == 0;
}

int ipl_ip_parse(const char *s, size_t len, uint8_t out[16])
{
    char buf[64];
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    const char *pct = memchr(s, '%', len);
    if (pct)
        len = (size_t)(pct - s);
    if (len == 0 || len >= sizeof buf)
        return IPL_EPARSE;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (memchr(buf, ':', len)) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return IPL_EPARSE;
        memcpy(out, &a6, 16);
        return IPL_OK;
    }
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) != 1)
        return IPL_EPARSE;
    memcpy(out, v4_mapped_prefix, 12);
    memcpy(out + 12, &a4, 4);
    return IPL_OK;
}

/* RFC 5952 text of a non-mapped IPv6 address: lowercase hex, no leading zeros, the longest run
 * (first on a tie) of two or more zero groups as "::". glibc's inet_ntop is not used because it
 * writes IPv4-compatible addresses (::102:304) in the deprecated mixed form "::1.2.3.4". */
static size_t format_v6(const uint8_t ip[16], char *buf, size_t n)
{
    char t[IPL_IP_TEXT];
    unsigned w[8];
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > bestlen && j - i >= 2)
            best = i, bestlen = j - i;
        i = j > i ? j : i + 1;
    }
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            t[o++] = ':';
            if (i == 0)
                t[o++] = ':';
            i += bestlen - 1;
            continue;
        }
        o += (size_t)snprintf(t + o, sizeof t - o, "%x%s", w[i], i < 7 ? ":" : "");
    }
    t[o] = '\0';
    if (o >= n) {
        if (n)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, t, o + 1);
    return o;
}

size_t ipl_ip_format(const uint8_t ip[16], char *buf, size_t n)
{
    if (!ipl_ip_is_v4(ip))
        return format_v6(ip, buf, n);
    char t[16];                  /* dotted quad by hand: inet_ntop goes through sprintf */
    size_t k = 0;
    for (int i = 12; i < 16; i++) {
        unsigned v = ip[i];
        if (v >= 100)
            t[k++] = (char)('0' + v / 100);
        if (v >= 10)
            t[k++] = (char)('0' + v / 10 % 10);
        t[k++] = (char)('0' + v % 10);
        t[k++] = i < 15 ? '.' : '\0';
    }
    if (k > n) {
        if (n)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, t, k);
    return k - 1;
}

int ipl_prefix_parse(const char *s, size_t len, int lenient, ipl_prefix *out)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    uint8_t ip[16];
    if (ipl_ip_parse(s, alen, ip) != IPL_OK)
        return IPL_EPARSE;
    /* bits count in the notation's own space; "::ffff:10.0.0.0/104" is the IPv4 10.0.0.0/8 */
    int v4text = memchr(s, ':', alen) == NULL;
    int maxbits = v4text ? 32 : 128;
    int bits = maxbits;
    if (slash) {
        const char *p = slash + 1, *e = s + len;
        if (p == e || e - p > 3)
            return IPL_EPARSE;
        bits = 0;
        for (; p < e; p++) {
            if (*p < '0' || *p > '9')
                return IPL_EPARSE;
            bits = bits * 10 + (*p - '0');
        }
        if (bits > maxbits)
            return IPL_EPARSE;
    }
    int total = v4text ? bits + 96 : bits;
    int v4 = ipl_ip_is_v4(ip) && total >= 96;
    uint8_t lo[16], hi[16];
    for (int i = 0; i < 16; i++) {
        int keep = total - i * 8;
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        lo[i] = ip[i] & mask;
        hi[i] = ip[i] | (uint8_t)~mask;
    }
    if (!lenient && memcmp(lo, ip, 16) != 0)
        return IPL_EPARSE;
    memcpy(out->lo, lo, 16);
    memcpy(out->hi, hi, 16);
    out->bits = total;
    out->v4 = v4;
    return IPL_OK;
}

int ipl_prefix_contains(const ipl_prefix *p, const uint8_t ip[16])
{
    return memcmp(ip, p->lo, 16) >= 0 && memcmp(ip, p->hi, 16) <= 0;
}

size_t ipl_prefix_format(const ipl_prefix *p, char *buf, size_t n)
{
    char a[IPL_IP_TEXT];
    ipl_ip_format(p->lo, a, sizeof a);
    int r = snprintf(buf, n, "%s/%d", a, p->v4 ? p->bits - 96 : p->bits);
    return r < 0 ? 0 : (size_t)r;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ipl_hex_canon(const char *s, size_t len, char *out, size_t outsz)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == ':' || c == '-' || c == '.')
            continue;
        int v = hexval(c);
        if (v < 0 || o + 1 >= outsz)
            return IPL_EPARSE;
        out[o++] = digits[v];
    }
    if (o == 0 || (o & 1))
        return IPL_EPARSE;
    out[o] = '\0';
    return IPL_OK;
}

int ipl_mac_canon(const char *s, size_t len, char out[13])
{
    /* strip blanks */
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    /* hardware-type prefixes: "hwtype=1 ", "1 " (Kea), "01-"/"06-" (dnsmasq, 7-group form) */
    if (len > 7 && memcmp(s, "hwtype=", 7) == 0) {
        const char *sp = memchr(s, ' ', len);
        if (!sp)
            return IPL_EPARSE;
        len -= (size_t)(sp + 1 - s);
        s = sp + 1;
    } else if (len > 2 && s[1] == ' ' && s[0] >= '0' && s[0] <= '9') {
        s += 2;
        len -= 2;
    }
    /* One separator throughout, and groups of the notation's width: 2 digits with ':' or '-',
     * 4 with '.', none at all for the 12-digit form. */
    char hex[16];
    size_t o = 0, glen = 0;
    int groups = 1, sep = 0, width = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == ':' || c == '-' || c == '.') {
            if ((sep && c != sep) || glen == 0)
                return IPL_EPARSE;
            sep = c;
            width = c == '.' ? 4 : 2;
            if (glen != (size_t)width)
                return IPL_EPARSE;
            groups++;
            glen = 0;
            continue;
        }
        int v = hexval(c);
        if (v < 0 || o >= 14)
            return IPL_EPARSE;
        hex[o++] = "0123456789abcdef"[v];
        glen++;
    }
    if (sep && glen != (size_t)width)
        return IPL_EPARSE;
    if (o == 14 && groups == 7 && sep != '.' &&
        (memcmp(hex, "01", 2) == 0 || memcmp(hex, "06", 2) == 0)) {
        memmove(hex, hex + 2, 12);
        o = 12;
    } else if (sep && groups != (sep == '.' ? 3 : 6)) {
        return IPL_EPARSE;
    }
    if (o != 12)
        return IPL_EPARSE;
    memcpy(out, hex, 12);
    out[12] = '\0';
    return IPL_OK;
}

int ipl_duid_mac(const char *duid_hex, char out[13])
{
    size_t n = strlen(duid_hex);
    /* type(2) hwtype(2) [time(4)] mac(6), in hex digits */
    if (n == 28 && memcmp(duid_hex, "00010001", 8) == 0) {
        memcpy(out, duid_hex + 16, 12);
    } else if (n == 20 && memcmp(duid_hex, "00030001", 8) == 0) {
        memcpy(out, duid_hex + 8, 12);
    } else {
        return IPL_ENOTFOUND;
    }
    out[12] = '\0';
    return IPL_OK;
}
