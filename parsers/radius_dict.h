/* parsers/radius_dict.h — names of enumerated RADIUS attribute values that more than one RADIUS
 * accounting parser writes (parsers/freeradius.c, parsers/nps.c), in FreeRADIUS dictionary
 * spelling (dictionary.rfc2865, dictionary.rfc2866), so every format renders the same number as
 * the same name and queries see one vocabulary.
 *
 * Each table is indexed by the attribute's value; a NULL entry, or a value at or past the size,
 * has no name (the callers then keep the value as written). Use:
 *     if (v < IPL_RADIUS_PORT_TYPES && ipl_radius_port_types[v]) name = ipl_radius_port_types[v];
 *
 * Constant data: no state, nothing to free.
 */
#ifndef IPL_RADIUS_DICT_H
#define IPL_RADIUS_DICT_H

/* NAS-Port-Type (RFC 2865 5.41): 0 "Async" .. 19 "Wireless-802.11". */
#define IPL_RADIUS_PORT_TYPES 20
extern const char *const ipl_radius_port_types[IPL_RADIUS_PORT_TYPES];

/* Acct-Terminate-Cause: RFC 2866 1 "User-Request" .. 18 "Host-Request", RFC 3580 19
 * "Supplicant-Restart" .. 22 "Port-Disabled"; 0 is NULL. */
#define IPL_RADIUS_TERM_CAUSES 23
extern const char *const ipl_radius_term_causes[IPL_RADIUS_TERM_CAUSES];

#endif
