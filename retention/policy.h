/* retention/policy.h — retention policies: how many days to keep, per kind, source, server or
 * subnet. A policy never runs by itself: `ipledger retention plan` shows what it would remove
 * now and `ipledger retention apply` runs it as one audited purge (retention/purge.h).
 *
 * The file (JSON, at most IPL_POLICY_MAX bytes; schema and examples in docs/retention.md):
 *   {"rules": [ {"kind": "lease.*", "keep_days": 400},
 *               {"subnet": ["10.99.0.0/16"], "server": "dhcp-guest-01", "keep_days": 30},
 *               {"source": "file:/var/log/radius/...", "keep_days": "forever"} ],
 *    "default": {"keep_days": 730}}
 * A rule's fields (kind, source, server, subnet: a string or a list of them) must all match; the
 * first rule that matches an event decides its keep_days; "default" decides for events no rule
 * matches, and without a default they are kept. Errors name the rule (1-based) and the field.
 */
#ifndef IPL_RETENTION_POLICY_H
#define IPL_RETENTION_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/event.h"

#define IPL_POLICY_MAX        (1 << 20)   /* bytes of a policy file */
#define IPL_POLICY_RULES_MAX  256
#define IPL_POLICY_VALUES_MAX 64          /* values in one field of a rule */
#define IPL_POLICY_KEEP_MAX   36500       /* days (100 years) */

typedef struct ipl_policy ipl_policy;

/* Parses and checks a policy (returns owned: ipl_policy_free). */
int  ipl_policy_parse(const char *text, size_t len, ipl_policy **out, ipl_diag *d);
void ipl_policy_free(ipl_policy *p);

size_t ipl_policy_nrules(const ipl_policy *p);      /* rules, the default not counted */
int    ipl_policy_has_default(const ipl_policy *p);
/* Days rule i keeps (i == nrules: the default); -1 for "forever". */
int64_t ipl_policy_keep_days(const ipl_policy *p, size_t i);
/* "rule 2 (kind lease.*, subnet 10.0.0.0/8): keep 400 days"; i == nrules: the default. */
void ipl_policy_describe(const ipl_policy *p, size_t i, char *buf, size_t n);
/* The rule that decides `ev`: 0..nrules-1, nrules for the default, -1 when none (kept). */
int  ipl_policy_rule(const ipl_policy *p, const ipl_event *ev);
/* The instant before which rule i removes events at `now`; INT64_MIN for "forever". */
int64_t ipl_policy_cutoff(const ipl_policy *p, size_t i, int64_t now);
/* The latest cutoff of all rules: nothing at or after it is removed (INT64_MIN: nothing ever). */
int64_t ipl_policy_max_cutoff(const ipl_policy *p, int64_t now);
/* The policy in canonical JSON (compact, fields in a fixed order), owned by p. */
const char *ipl_policy_canonical(const ipl_policy *p);

#endif
