/* queries/report_defs.c — the report definitions: data only (see report.h). Every section is one
 * query of docs/query-language.md; docs/reports.md explains each report and is checked against
 * this table by `ipledger report list` in tests/scripts/report.sh.
 *
 * $from and $to are the period (defaults: the report's default_from, and now); $ip, $mac, $host
 * and $user are the subject of the tracking report. The windows use `since $from until $to`.
 */
#include "queries/report.h"

#include <string.h>

#define WIN " since $from until $to"

/* The usual networks of the logon report: private (RFC 1918), shared CGNAT (RFC 6598), loopback,
 * link-local and unique-local IPv6. A logon from any other address is "from outside". */
#define USUAL_NETS "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 127.0.0.0/8, " \
                   "169.254.0.0/16, ::1/128, fc00::/7, fe80::/10)"

#define EVIDENCE "| sort time, seq | fields seq, time, kind, ip, mac, host, user, server, source, line"

static const ipl_report_section tracking[] = {
    {"Correlation: address, lease, device, user", "track ip $ip" WIN, "", IPL_RV_TABLE, "ip", 0,
     "Every lease holding of the address in the period with the device and the users logged on "
     "from it, and the periods nobody held it (the rows of `ipledger track --ip`)."},
    {"Correlation: device, leases, users", "track mac $mac" WIN, "", IPL_RV_TABLE, "mac", 0,
     "Every address the device (MAC or DUID) held in the period and who was logged on from it."},
    {"Correlation: host, leases, users", "track host $host" WIN, "", IPL_RV_TABLE, "host", 0,
     "Every address the host name held in the period and who was logged on from it."},
    {"Correlation: user, logons, addresses, devices", "track user $user" WIN, "", IPL_RV_TABLE,
     "user", 0, "Every logon of the user in the period, the address it came from and the device "
     "that held that address."},
    {"Events per day", "events where ip = $ip" WIN, "| timeline 1d by kind", IPL_RV_LINE, "ip", 1,
     "Events naming the address, per day and kind."},
    {"Events per day", "events where mac = $mac" WIN, "| timeline 1d by kind", IPL_RV_LINE, "mac",
     1, "Events naming the MAC (or DUID), per day and kind."},
    {"Events per day", "events where host = $host" WIN, "| timeline 1d by kind", IPL_RV_LINE,
     "host", 1, "Events naming the host, per day and kind."},
    {"Events per day", "events where user = $user" WIN, "| timeline 1d by kind", IPL_RV_LINE,
     "user", 1, "Events naming the user, per day and kind."},
    {"Evidence: every event", "events where ip = $ip" WIN, EVIDENCE, IPL_RV_TABLE, "ip", 1,
     "The events the answer rests on, each with its position in the log and its source line."},
    {"Evidence: every event", "events where mac = $mac" WIN, EVIDENCE, IPL_RV_TABLE, "mac", 1,
     "The events the answer rests on, each with its position in the log and its source line."},
    {"Evidence: every event", "events where host = $host" WIN, EVIDENCE, IPL_RV_TABLE, "host", 1,
     "The events the answer rests on, each with its position in the log and its source line."},
    {"Evidence: every event", "events where user = $user" WIN, EVIDENCE, IPL_RV_TABLE, "user", 1,
     "The events the answer rests on, each with its position in the log and its source line."},
};

static const ipl_report_section changes[] = {
    {"Changes", "changes" WIN, "| count", IPL_RV_FIGURES, NULL, 1,
     "Configuration changes in the period (DHCP servers, address space, holds, store)."},
    {"Changes per server", "changes" WIN, "| count by server", IPL_RV_BARS, NULL, 1,
     "Which server logged the change (ipledger's own changes have no server)."},
    {"Changes per acting user", "changes" WIN, "| count by user", IPL_RV_BARS, NULL, 1,
     "The principal that made the change."},
    {"Changes per object", "changes" WIN, "| count by object", IPL_RV_BARS, NULL, 1,
     "The object changed: a scope, an address-space object type, hold, store."},
    {"Changes per day", "changes" WIN, "| timeline 1d by server", IPL_RV_LINE, NULL, 1,
     "Changes per day and server."},
    {"Every change", "changes" WIN,
     "| sort time, seq | fields seq, time, server, user, object, action, option, old, new, reason, "
     "message", IPL_RV_TABLE, NULL, 1, "Each change with its old and new value, oldest first."},
};

static const ipl_report_section logons[] = {
    {"Logons", "logons where kind in (logon, logon.explicit)" WIN, "| count", IPL_RV_FIGURES,
     NULL, 1, "Successful logons (4624, 4648, sshd, RADIUS-authenticated logons) in the period."},
    {"Failed logons", "logon.fail" WIN, "| count", IPL_RV_FIGURES, NULL, 1,
     "Failed logons (4625, sshd failures) in the period."},
    {"Logons per day", "logons" WIN, "| timeline 1d by kind", IPL_RV_LINE, NULL, 1,
     "Successful and failed logons per day."},
    {"Logons per user", "logons where kind in (logon, logon.explicit)" WIN, "| count by user",
     IPL_RV_BARS, NULL, 1, "Successful logons per user (case folded)."},
    {"Logons per host", "logons where kind in (logon, logon.explicit)" WIN, "| count by host",
     IPL_RV_BARS, NULL, 1, "Successful logons per workstation or server logged on to."},
    {"Logons per source address", "logons where kind in (logon, logon.explicit)" WIN,
     "| count by ip", IPL_RV_BARS, NULL, 1, "Successful logons per address they came from."},
    {"Failed logons per user and source", "logon.fail" WIN, "| count by user, ip", IPL_RV_BARS,
     NULL, 1, "Failed logons per user and the address they came from."},
    {"Logons from outside the usual networks",
     "logons where ip exists and ip not in " USUAL_NETS WIN,
     "| sort time, seq | fields seq, time, kind, user, host, ip, geo.country, server",
     IPL_RV_TABLE, NULL, 1,
     "Logons (successful and failed) from an address outside the usual networks: private "
     "(RFC 1918), shared (100.64.0.0/10), loopback, link-local and unique-local IPv6."},
    {"Logons per user and country", "logons where geo.country exists" WIN,
     "| count by user, geo.country", IPL_RV_BARS, NULL, 1,
     "Where GeoIP data is present: logons per user and country (a user with more than one "
     "country stands out)."},
};

static const ipl_report_section utilization[] = {
    {"Utilization at the end of the period", "utilization until $to",
     "| fields type, space, object, size, used, leased, pct, low, high, state", IPL_RV_TABLE, NULL,
     0, "Every block, subnet and range: addresses, used (leased at that instant plus static, "
     "reserved and in-use address objects), percent, its thresholds and its state."},
    {"Most used objects", "utilization until $to", "| sort pct desc | fields type, object, pct",
     IPL_RV_BARS, NULL, 0, "Percent used at the end of the period, highest first."},
    {"Outside their thresholds at the end of the period",
     "utilization until $to where state != normal",
     "| sort state, pct desc | fields type, space, object, pct, low, high, state", IPL_RV_TABLE,
     NULL, 0, "Objects under their low or over their high threshold."},
    {"Trend per block (daily)", "utilization every 1d since $from until $to where type = block",
     "| fields time, object, pct", IPL_RV_LINE, NULL, 0,
     "Percent used of each block at the start of each day of the period (from the lease "
     "history)."},
    {"Trend per subnet (daily)", "utilization every 1d since $from until $to where type = subnet",
     "| fields time, object, pct", IPL_RV_LINE, NULL, 0,
     "Percent used of each subnet at the start of each day of the period."},
    {"Threshold crossings", "alert" WIN, "| sort time, seq | fields time, object, status, message",
     IPL_RV_TABLE, NULL, 1,
     "Each time a block, subnet or range crossed its low or high utilization threshold "
     "(alert events written by `ipledger asm alerts`)."},
    {"Crossings per object", "alert" WIN, "| count by object, status", IPL_RV_BARS, NULL, 1,
     "How often each object entered each state."},
    {"Lease grants per day", "leases where kind in (lease.assign, lease.renew, lease.bootp)" WIN,
     "| timeline 1d by server", IPL_RV_LINE, NULL, 1,
     "Leases granted or renewed per day and DHCP server: the demand behind utilization."},
    {"Exhaustion and denials per day",
     "leases where kind in (lease.exhausted, lease.deny, lease.conflict)" WIN,
     "| timeline 1d by kind", IPL_RV_LINE, NULL, 1,
     "Pool exhaustion, denied requests and address conflicts per day."},
    {"Address-space changes", "changes where object like \"asm.*\"" WIN,
     "| sort time, seq | fields time, user, object, action, new", IPL_RV_TABLE, NULL, 1,
     "Blocks, subnets and ranges created, edited or deleted in the period (with thresholds)."},
};

static const ipl_report_section retention[] = {
    {"Purges", "purges" WIN, "| count", IPL_RV_FIGURES, NULL, 1, "Purges recorded in the period."},
    {"Purges per user", "purges" WIN, "| count by user", IPL_RV_BARS, NULL, 1,
     "Who purged."},
    {"Every purge", "purges" WIN,
     "| sort time, seq | fields seq, time, user, action, criteria, count, bytes, span, "
     "purge.kinds, purge.sources, purge.held, reason, digest", IPL_RV_TABLE, NULL, 1,
     "Each purge: its criteria, what it removed (events, bytes, time span, kinds, sources), what "
     "holds kept, and the digest of the removed events."},
    {"Hold changes up to the end of the period", "changes where object = hold until $to",
     "| sort time, seq | fields seq, time, user, action, reason, message", IPL_RV_TABLE, NULL, 0,
     "Every hold added or removed up to the end of the period, oldest first: a hold is in force "
     "when its \"added\" line has no later \"removed\" line for the same hold number."},
};

static const ipl_report_section quality[] = {
    {"Quarantined lines per source", "quarantine" WIN, "| count by source", IPL_RV_BARS, NULL, 0,
     "Lines that could not be parsed, per source, by the time they were ingested (`ipledger "
     "quarantine --source S` shows them)."},
    {"Quarantine reasons", "quarantine" WIN, "| count by source, reason", IPL_RV_TABLE, NULL, 0,
     "Why they could not be parsed."},
    {"Quarantined lines per day", "quarantine" WIN, "| timeline 1d by source", IPL_RV_LINE, NULL,
     0, "When they were ingested, per day and source."},
    {"Events per server per day", "events" WIN, "| timeline 1d by server", IPL_RV_LINE, NULL, 1,
     "Events per day and server (the system that logged them); a day without a row inside a "
     "server's series is a gap in its timeline (listed under the chart)."},
    {"Last event per server", "events where server exists" WIN,
     "| last by server | sort time | fields server, time, kind, source", IPL_RV_TABLE, NULL, 1,
     "The latest event of each server in the period, oldest first: the servers at the top went "
     "silent first."},
    {"Server status changes", "servers where kind = server.status" WIN,
     "| sort time, seq | fields time, server, status, message", IPL_RV_TABLE, NULL, 1,
     "Status events of the monitored servers (up, down, silent) in the period."},
    {"Service events per server", "servers" WIN, "| count by server, kind", IPL_RV_BARS, NULL, 1,
     "DHCP service starts, stops, log pauses and rogue-server events per server."},
};

#define N(a) (sizeof a / sizeof a[0])

static const ipl_report_def defs[] = {
    {"tracking", "IP address tracking report",
     "Who held an address, what a device or host held, or where a user logged on from, over a "
     "period, with every event the answer rests on.", "ip mac host user", "-90d", tracking,
     N(tracking)},
    {"changes", "Configuration-change report",
     "Every configuration change per server, object and acting user over a period.", NULL, "-365d",
     changes, N(changes)},
    {"logons", "Logon report",
     "Logons per user, host and source address, failed logons and logons from outside the usual "
     "networks.", NULL, "-30d", logons, N(logons)},
    {"utilization", "Address utilization report",
     "Utilization of blocks, subnets and ranges at the end of a period and its daily trend, "
     "threshold crossings, lease demand and exhaustion.", NULL, "-30d", utilization, N(utilization)},
    {"retention", "Retention report",
     "Purges done, by whom and what they removed, and the legal holds.", NULL, "-365d",
     retention, N(retention)},
    {"quality", "Data-quality report",
     "Quarantine per source, gaps in each source's timeline, silent servers and server "
     "status.", NULL, "-30d", quality,
     N(quality)},
};

size_t ipl_report_count(void)
{
    return N(defs);
}

const ipl_report_def *ipl_report_at(size_t i)
{
    return i < N(defs) ? &defs[i] : NULL;
}

const ipl_report_def *ipl_report_find(const char *name)
{
    for (size_t i = 0; i < N(defs); i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}
