/* parsers/radius_dict.c — the RADIUS value-name tables shared by parsers/freeradius.c and
 * parsers/nps.c, FreeRADIUS dictionary spelling. API: parsers/radius_dict.h.
 */
#include "parsers/radius_dict.h"

#include <stddef.h>

/* RFC 2865 NAS-Port-Type values, dictionary.rfc2865 spelling. */
const char *const ipl_radius_port_types[IPL_RADIUS_PORT_TYPES] = {
    "Async", "Sync", "ISDN", "ISDN-V120", "ISDN-V110", "Virtual", "PIAFS", "HDLC-Clear-Channel",
    "X.25", "X.75", "G.3-Fax", "SDSL", "ADSL-CAP", "ADSL-DMT", "IDSL", "Ethernet", "xDSL",
    "Cable", "Wireless-Other", "Wireless-802.11",
};

/* RFC 2866 (1-18) and RFC 3580 (19-22) Acct-Terminate-Cause values, dictionary.rfc2866 and
 * dictionary.rfc3580 spelling. */
const char *const ipl_radius_term_causes[IPL_RADIUS_TERM_CAUSES] = {
    NULL, "User-Request", "Lost-Carrier", "Lost-Service", "Idle-Timeout", "Session-Timeout",
    "Admin-Reset", "Admin-Reboot", "Port-Error", "NAS-Error", "NAS-Request", "NAS-Reboot",
    "Port-Unneeded", "Port-Preempted", "Port-Suspended", "Service-Unavailable", "Callback",
    "User-Error", "Host-Request", "Supplicant-Restart", "Reauthentication-Failure", "Port-Reinit",
    "Port-Disabled",
};
