/* tests/unit/parsers/radius_dict_test.c — the RADIUS value names shared by nps and freeradius
 * (RFC 2865 NAS-Port-Type, RFC 2866 Acct-Terminate-Cause): numbers map to the dictionary names
 * both parsers emit, so NPS and FreeRADIUS events read the same. */
#include "../check.h"
#include "parsers/radius_dict.h"

#include <string.h>

int main(void)
{
    CHECK_STR(ipl_radius_port_types[0], "Async");
    CHECK_STR(ipl_radius_port_types[15], "Ethernet");
    CHECK_STR(ipl_radius_port_types[19], "Wireless-802.11");
    CHECK(ipl_radius_term_causes[0] == NULL);                /* 0 is not a cause */
    CHECK_STR(ipl_radius_term_causes[1], "User-Request");
    CHECK_STR(ipl_radius_term_causes[4], "Idle-Timeout");
    CHECK_STR(ipl_radius_term_causes[5], "Session-Timeout");
    int dups = 0;
    for (int i = 1; i < IPL_RADIUS_TERM_CAUSES; i++) {
        CHECK(ipl_radius_term_causes[i] != NULL);
        for (int j = i + 1; ipl_radius_term_causes[i] && j < IPL_RADIUS_TERM_CAUSES; j++)
            dups += ipl_radius_term_causes[j] && strcmp(ipl_radius_term_causes[i], ipl_radius_term_causes[j]) == 0;
    }
    CHECK_INT(dups, 0);
    return check_summary();
}
