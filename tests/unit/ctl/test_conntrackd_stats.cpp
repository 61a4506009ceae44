// conntrackd -s text from GetStatistics counters, compared byte for byte with what
// conntrackd 1.4.7 printed (conntrackd_samples/, captured in throwaway namespaces with
// tests/root/sync/lib.sh: FTFW over UDP, TCP and multicast, NOTRACK).
#include "conntrackd_stats.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace ctd::ctl::conntrackd;

namespace {

std::string sample(const std::string& name)
{
    std::ifstream in(std::string(CONNTRACKD_SAMPLES) + "/" + name + ".txt", std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void linkCounters(StatsMap& m, const std::string& p, uint64_t bs, uint64_t br, uint64_t ps,
                  uint64_t pr, uint64_t es, uint64_t er)
{
    m[p + "bytes_sent"] = bs;
    m[p + "bytes_received"] = br;
    m[p + "packets_sent"] = ps;
    m[p + "packets_received"] = pr;
    m[p + "send_errors"] = es;
    m[p + "receive_errors"] = er;
}

void cacheCounters(StatsMap& m, const std::string& cache, uint64_t active, uint64_t created,
                   uint64_t destroyed)
{
    m[cache + ".active"] = active;
    m[cache + ".created"] = created;
    m[cache + ".created_failed"] = uint64_t{0};
    m[cache + ".updated"] = uint64_t{0};
    m[cache + ".updated_failed"] = uint64_t{0};
    m[cache + ".destroyed"] = destroyed;
    m[cache + ".destroyed_failed"] = uint64_t{0};
}

StatsMap general(const std::string& kind, const std::string& device)
{
    StatsMap m;
    cacheCounters(m, "internal", 2, 2, 0);
    cacheCounters(m, "external", 0, 0, 0);
    m["traffic.bytes"] = uint64_t{0};
    m["traffic.packets"] = uint64_t{0};
    m["msg.malformed"] = uint64_t{0};
    m["msg.lost"] = uint64_t{0};
    m["link.kind"] = kind;
    m["link.device"] = device;
    m["ftfw.acks_sent"] = uint64_t{7}; // ctd's extra keys print nothing
    return m;
}

void extendedCache(StatsMap& m, const std::string& c, uint64_t n)
{
    for (const char* k : {"active_objects", "active_entries", "total_entries", "created"})
        m[c + "." + k] = n;
}

} // namespace

TEST(ConntrackdStats, GeneralUdp)
{
    StatsMap m = general("UDP", "vsync");
    linkCounters(m, "link.", 168, 0, 3, 0, 0, 0);
    EXPECT_EQ(formatStats("", m), sample("ftfw-udp-general"));
    EXPECT_EQ(formatStats("ct", m), sample("ftfw-udp-ct"));
}

TEST(ConntrackdStats, GeneralBackupWithExternalEntries)
{
    StatsMap m = general("UDP", "vb");
    cacheCounters(m, "internal", 0, 0, 0);
    cacheCounters(m, "external", 2, 2, 0);
    linkCounters(m, "link.", 16, 176, 1, 3, 0, 0);
    EXPECT_EQ(formatStats("", m), sample("ftfw-udp-backup-general"));
}

TEST(ConntrackdStats, GeneralTcpAndMulticastHeaders)
{
    StatsMap tcp = general("TCP", "va");
    linkCounters(tcp, "link.", 0, 8, 0, 1, 1, 0);
    tcp["link.tcp_server"] = std::string("connected");
    tcp["link.tcp_client"] = std::string("disconnected");
    EXPECT_EQ(formatStats("", tcp), sample("ftfw-tcp-general"));

    StatsMap mcast = general("Multicast", "va");
    linkCounters(mcast, "link.", 176, 16, 3, 1, 0, 0);
    EXPECT_EQ(formatStats("", mcast), sample("ftfw-mcast-general"));
}

TEST(ConntrackdStats, Network)
{
    StatsMap m;
    for (const char* k : {"recv.malformed", "recv.bad_version", "recv.bad_header",
                          "recv.bad_payload", "recv.bad_type", "recv.truncated",
                          "recv.bad_size", "send.malformed", "seq.lost", "seq.before"})
        m[k] = uint64_t{0};
    m["link.kind"] = std::string("UDP");
    m["link.device"] = std::string("vsync");
    linkCounters(m, "link.", 168, 0, 3, 0, 0, 0);
    EXPECT_EQ(formatStats("network", m), sample("ftfw-udp-network"));

    m["link.kind"] = std::string("TCP");
    m["link.device"] = std::string("va");
    m["link.tcp_server"] = std::string("connected");
    m["link.tcp_client"] = std::string("disconnected");
    linkCounters(m, "link.", 0, 8, 0, 1, 1, 0);
    EXPECT_EQ(formatStats("network", m), sample("ftfw-tcp-network"));
}

TEST(ConntrackdStats, Cache)
{
    StatsMap m;
    extendedCache(m, "internal", 2);
    extendedCache(m, "external", 0);
    EXPECT_EQ(formatStats("cache", m), sample("ftfw-udp-cache"));

    StatsMap backup;
    extendedCache(backup, "internal", 0);
    extendedCache(backup, "external", 2);
    EXPECT_EQ(formatStats("cache", backup), sample("ftfw-udp-backup-cache"));
}

TEST(ConntrackdStats, Runtime)
{
    StatsMap m;
    m["uptime"] = uint64_t{12};
    m["events_received"] = uint64_t{2};
    m["buffer_size"] = uint64_t{2097152};
    EXPECT_EQ(formatStats("runtime", m), sample("ftfw-udp-runtime"));
}

TEST(ConntrackdStats, Uptime)
{
    EXPECT_EQ(formatUptime(0), "0 min");
    EXPECT_EQ(formatUptime(59), "0 min");
    EXPECT_EQ(formatUptime(61), "1 min");
    EXPECT_EQ(formatUptime(3600 + 5 * 60), "1 h 5 min");
    EXPECT_EQ(formatUptime(86400), "1 day 0 min");
    EXPECT_EQ(formatUptime(2 * 86400 + 3 * 3600 + 60), "2 days 3 h 1 min");
}

TEST(ConntrackdStats, Links)
{
    StatsMap m;
    m["links"] = uint64_t{1};
    m["link.0.kind"] = std::string("UDP");
    m["link.0.device"] = std::string("vsync");
    m["link.0.status"] = std::string("RUNNING");
    m["link.0.role"] = std::string("ACTIVE");
    linkCounters(m, "link.0.", 168, 0, 3, 0, 0, 0);
    EXPECT_EQ(formatStats("link", m), sample("ftfw-udp-link"));

    StatsMap tcp;
    tcp["links"] = uint64_t{1};
    tcp["link.0.kind"] = std::string("TCP");
    tcp["link.0.device"] = std::string("va");
    tcp["link.0.status"] = std::string("RUNNING");
    tcp["link.0.role"] = std::string("ACTIVE");
    linkCounters(tcp, "link.0.", 0, 8, 0, 1, 1, 0);
    EXPECT_EQ(formatStats("link", tcp), sample("ftfw-tcp-link"));

    StatsMap mcast;
    mcast["links"] = uint64_t{1};
    mcast["link.0.kind"] = std::string("Multicast");
    mcast["link.0.device"] = std::string("vb");
    mcast["link.0.status"] = std::string("RUNNING");
    mcast["link.0.role"] = std::string("ACTIVE");
    linkCounters(mcast, "link.0.", 16, 176, 1, 3, 0, 0);
    EXPECT_EQ(formatStats("link", mcast), sample("ftfw-mcast-link"));

    // Two links: one block each, in order; a bogus count stops at the first missing link.
    StatsMap two = m;
    two["links"] = uint64_t{1000000000000};
    two["link.1.kind"] = std::string("UDP");
    two["link.1.device"] = std::string("vsync2");
    two["link.1.status"] = std::string("DOWN");
    two["link.1.role"] = std::string("BACKUP");
    const std::string text = formatStats("link", two);
    EXPECT_EQ(text.rfind(sample("ftfw-udp-link"), 0), 0u);
    EXPECT_NE(text.find("UDP traffic device=vsync2 status=DOWN role=BACKUP:\n"),
              std::string::npos);
}

TEST(ConntrackdStats, Rsqueue)
{
    StatsMap m;
    m["length"] = uint64_t{2};
    m["items"] = std::vector<std::string>{"object -> seq:1796171715", "object -> seq:1796171716"};
    EXPECT_EQ(formatStats("rsqueue", m), sample("ftfw-udp-rsqueue"));
    StatsMap control;
    control["length"] = uint64_t{1};
    control["items"] = std::vector<std::string>{"control -> seq:1796172702 flags:72"};
    EXPECT_EQ(formatStats("rsqueue", control), sample("ftfw-udp-control-rsqueue"));
    StatsMap empty;
    empty["length"] = uint64_t{0};
    EXPECT_EQ(formatStats("rsqueue", empty), sample("ftfw-udp-backup-rsqueue"));
    // NOTRACK and ALARM have no resend queue: conntrackd prints nothing.
    EXPECT_EQ(formatStats("rsqueue", StatsMap{}), sample("notrack-udp-rsqueue"));
}

TEST(ConntrackdStats, Queue)
{
    StatsMap m;
    m["nodes"] = uint64_t{0};
    for (auto [q, max, cur] : {std::tuple{"txqueue", 2147483647ull, 0ull},
                               std::tuple{"errorq", 128ull, 0ull},
                               std::tuple{"rsqueue", 131072ull, 2ull}}) {
        m[std::string(q) + ".current"] = uint64_t{cur};
        m[std::string(q) + ".max"] = uint64_t{max};
        m[std::string(q) + ".no_space"] = uint64_t{0};
    }
    EXPECT_EQ(formatStats("queue", m), sample("ftfw-udp-queue"));
    for (const char* k : {"rsqueue.current", "rsqueue.max", "rsqueue.no_space"})
        m.erase(k);
    EXPECT_EQ(formatStats("queue", m), sample("notrack-udp-queue"));
}

TEST(ConntrackdStats, ExpectIsEmptyWithoutExpectationSync)
{
    EXPECT_EQ(formatStats("expect", StatsMap{}), sample("ftfw-udp-expect"));
    StatsMap m = general("UDP", "vsync");
    linkCounters(m, "link.", 168, 0, 3, 0, 0, 0);
    EXPECT_EQ(formatStats("expect", m), sample("ftfw-udp-general"));
}

TEST(ConntrackdStats, HostileValues)
{
    // Wrong types read as 0 / "", huge counters widen the column instead of wrapping.
    StatsMap m;
    m["internal.active"] = std::string("not a number");
    m["link.kind"] = uint64_t{3};
    m["external.active"] = uint64_t{1} << 40;
    const std::string text = formatStats("", m);
    EXPECT_NE(text.find("current active connections:\t           0\n"), std::string::npos);
    EXPECT_NE(text.find("current active connections:\t1099511627776\n"), std::string::npos);
    EXPECT_EQ(text.find("traffic (active"), std::string::npos);
    EXPECT_EQ(formatStats("bogus", m), "");
    StatsMap items;
    items["length"] = uint64_t{1};
    items["items"] = uint64_t{5};
    EXPECT_EQ(formatStats("rsqueue", items), "resent queue (len=1)\n");
}

// Stats mode (stats-mode.c): the "stats" cache and the traffic of the destroyed flows; the
// samples are conntrackd 1.4.7 with a Stats section (3 flows, 1 destroyed with 3 packets).
TEST(ConntrackdStats, StatsMode)
{
    StatsMap m;
    cacheCounters(m, "stats", 2, 3, 1);
    m["traffic.bytes"] = uint64_t{384};
    m["traffic.packets"] = uint64_t{3};
    EXPECT_EQ(formatFlowStats("", m), sample("stats-mode-general"));
    EXPECT_EQ(formatFlowStats("ct", m), sample("stats-mode-general"));

    StatsMap cache;
    extendedCache(cache, "stats", 2);
    cache["stats.created"] = uint64_t{3};
    cache["stats.deleted"] = uint64_t{1};
    EXPECT_EQ(formatFlowStats("cache", cache), sample("stats-mode-cache"));

    StatsMap runtime;
    runtime["uptime"] = uint64_t{10};
    runtime["events_received"] = uint64_t{2};
    runtime["buffer_size"] = uint64_t{2097152};
    EXPECT_EQ(formatFlowStats("runtime", runtime), sample("stats-mode-runtime"));

    // conntrackd's stats mode answers the sync categories with nothing.
    for (const char* c : {"network", "link", "rsqueue", "queue", "expect", "bogus"})
        EXPECT_EQ(formatFlowStats(c, m), "") << c;
}
