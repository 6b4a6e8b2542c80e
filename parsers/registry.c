/* parsers/registry.c — the static table of parsers (add a line per format) and detection. */
#include "parsers/parser.h"

#include <string.h>

extern const ipl_parser ipl_parser_mswin_dhcp;
extern const ipl_parser ipl_parser_kea_csv;
extern const ipl_parser ipl_parser_kea_log;
extern const ipl_parser ipl_parser_kea_legal;
extern const ipl_parser ipl_parser_nps_ias;
extern const ipl_parser ipl_parser_nps_odbc;
extern const ipl_parser ipl_parser_nps_xml;
extern const ipl_parser ipl_parser_freeradius_detail;
extern const ipl_parser ipl_parser_syslog;
extern const ipl_parser ipl_parser_isc_dhcpd;
extern const ipl_parser ipl_parser_isc_leases;
extern const ipl_parser ipl_parser_winsec_xml;
extern const ipl_parser ipl_parser_winsec_json;
extern const ipl_parser ipl_parser_mswin_dhcp_events;
extern const ipl_parser ipl_parser_dnsmasq;
extern const ipl_parser ipl_parser_dnsmasq_leases;
extern const ipl_parser ipl_parser_sshd;
extern const ipl_parser ipl_parser_ipledger_ndjson;

static const ipl_parser *const registry[] = {
    &ipl_parser_mswin_dhcp,
    &ipl_parser_kea_csv,
    &ipl_parser_kea_log,
    &ipl_parser_kea_legal,
    &ipl_parser_nps_ias,
    &ipl_parser_nps_odbc,
    &ipl_parser_nps_xml,
    &ipl_parser_freeradius_detail,
    &ipl_parser_syslog,
    &ipl_parser_isc_dhcpd,
    &ipl_parser_isc_leases,
    &ipl_parser_winsec_xml,
    &ipl_parser_winsec_json,
    &ipl_parser_mswin_dhcp_events,
    &ipl_parser_dnsmasq,
    &ipl_parser_dnsmasq_leases,
    &ipl_parser_sshd,
    &ipl_parser_ipledger_ndjson,
};

const ipl_parser *const *ipl_parsers(size_t *count)
{
    *count = sizeof registry / sizeof registry[0];
    return registry;
}

const ipl_parser *ipl_parser_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const ipl_parser *ipl_parser_detect(const char *sample, size_t len, int *score, char *tried,
                                    size_t tried_len)
{
    return ipl_parser_best(registry, sizeof registry / sizeof registry[0], sample, len, score, tried,
                           tried_len);
}
