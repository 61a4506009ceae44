#include "conntrackd_stats.hpp"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>

namespace ctd::ctl::conntrackd {

namespace {

class Reader {
public:
    explicit Reader(const StatsMap& stats) : stats_(stats) {}

    unsigned long long n(const std::string& key) const
    {
        auto it = stats_.find(key);
        if (it == stats_.end())
            return 0;
        if (const auto* v = std::get_if<uint64_t>(&it->second))
            return *v;
        return 0;
    }
    std::string s(const std::string& key) const
    {
        auto it = stats_.find(key);
        if (it == stats_.end())
            return {};
        if (const auto* v = std::get_if<std::string>(&it->second))
            return *v;
        return {};
    }
    std::vector<std::string> list(const std::string& key) const
    {
        auto it = stats_.find(key);
        if (it == stats_.end())
            return {};
        if (const auto* v = std::get_if<std::vector<std::string>>(&it->second))
            return *v;
        return {};
    }
    bool has(const std::string& key) const { return stats_.count(key) != 0; }

private:
    const StatsMap& stats_;
};

__attribute__((format(printf, 2, 3))) void append(std::string& out, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    const int size = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (size > 0) {
        std::string chunk(static_cast<size_t>(size) + 1, '\0');
        std::vsnprintf(chunk.data(), chunk.size(), format, args);
        chunk.resize(static_cast<size_t>(size));
        out += chunk;
    }
    va_end(args);
}

// cache.c cache_stats(): one cache's seven counters.
void cacheStats(std::string& out, const Reader& r, const std::string& name)
{
    const std::string p = name + ".";
    append(out,
           "cache %s:\n"
           "current active connections:\t%12llu\n"
           "connections created:\t\t%12llu\tfailed:\t%12llu\n"
           "connections updated:\t\t%12llu\tfailed:\t%12llu\n"
           "connections destroyed:\t\t%12llu\tfailed:\t%12llu\n\n",
           name.c_str(), r.n(p + "active"), r.n(p + "created"), r.n(p + "created_failed"),
           r.n(p + "updated"), r.n(p + "updated_failed"), r.n(p + "destroyed"),
           r.n(p + "destroyed_failed"));
}

// cache.c cache_stats_extended().
void cacheStatsExtended(std::string& out, const Reader& r, const std::string& name)
{
    const std::string p = name + ".";
    append(out,
           "cache:%s\tactive objects:\t\t%12llu\n"
           "\tactive/total entries:\t\t%12llu/%12llu\n"
           "\tcreation OK/failed:\t\t%12llu/%12llu\n"
           "\t\tno memory available:\t%12llu\n"
           "\t\tno space left in cache:\t%12llu\n"
           "\tupdate OK/failed:\t\t%12llu/%12llu\n"
           "\t\tentry not found:\t%12llu\n"
           "\tdeletion created/failed:\t%12llu/%12llu\n"
           "\t\tentry not found:\t%12llu\n\n",
           name.c_str(), r.n(p + "active_objects"), r.n(p + "active_entries"),
           r.n(p + "total_entries"), r.n(p + "created"), r.n(p + "created_failed"),
           r.n(p + "no_memory"), r.n(p + "no_space"), r.n(p + "updated"),
           r.n(p + "updated_failed"), r.n(p + "update_not_found"), r.n(p + "deleted"),
           r.n(p + "deleted_failed"), r.n(p + "delete_not_found"));
}

// The three counter lines every channel's stats functions end with (%20llu each).
void linkCounters(std::string& out, const Reader& r, const std::string& p)
{
    append(out,
           "%20llu Bytes sent %20llu Bytes recv\n"
           "%20llu Pckts sent %20llu Pckts recv\n"
           "%20llu Error send %20llu Error recv\n\n",
           r.n(p + "bytes_sent"), r.n(p + "bytes_received"), r.n(p + "packets_sent"),
           r.n(p + "packets_received"), r.n(p + "send_errors"), r.n(p + "receive_errors"));
}

// multichannel_stats(): the active channel's *_snprintf_stats(). The header differs per
// channel type; TCP adds the state of its server and client sockets.
void activeLinkStats(std::string& out, const Reader& r)
{
    const std::string kind = r.s("link.kind");
    const std::string device = r.s("link.device");
    if (kind == "UDP")
        append(out, "UDP traffic (active device=%s):\n", device.c_str());
    else if (kind == "Multicast")
        append(out, "multicast traffic (active device=%s):\n", device.c_str());
    else if (kind == "TCP") {
        // Not in the documented keys; "connected" unless the service says otherwise.
        std::string server = r.s("link.tcp_server"), client = r.s("link.tcp_client");
        append(out, "TCP traffic (active device=%s) server=%s client=%s:\n", device.c_str(),
               server.empty() ? "connected" : server.c_str(),
               client.empty() ? "connected" : client.c_str());
    } else
        return; // no channel: conntrackd always has one, ctd says nothing we could print
    linkCounters(out, r, "link.");
}

// traffic_stats.c dump_traffic_stats(): the counters of destroyed flows.
void trafficStats(std::string& out, const Reader& r)
{
    append(out, "traffic processed:\n");
    append(out, "%20llu Bytes      ", r.n("traffic.bytes"));
    append(out, "%20llu Pckts\n\n", r.n("traffic.packets"));
}

// sync-mode.c dump_stats_sync().
void syncStats(std::string& out, const Reader& r)
{
    append(out, "message tracking:\n%20llu Malformed msgs %20llu Lost msgs\n\n",
           r.n("msg.malformed"), r.n("msg.lost"));
}

// The STATS request (sync-mode.c): both caches, traffic, active link, message tracking.
std::string general(const Reader& r)
{
    std::string out;
    cacheStats(out, r, "internal");
    cacheStats(out, r, "external");
    trafficStats(out, r);
    activeLinkStats(out, r);
    syncStats(out, r);
    return out;
}

// sync-mode.c dump_stats_sync_extended(), then the active link.
std::string network(const Reader& r)
{
    std::string out;
    append(out,
           "network statistics:\n"
           "\trecv:\n"
           "\t\tMalformed messages:\t%20llu\n"
           "\t\tWrong protocol version:\t%20llu\n"
           "\t\tMalformed header:\t%20llu\n"
           "\t\tMalformed payload:\t%20llu\n"
           "\t\tBad message type:\t%20llu\n"
           "\t\tTruncated message:\t%20llu\n"
           "\t\tBad message size:\t%20llu\n"
           "\tsend:\n"
           "\t\tMalformed messages:\t%20llu\n\n"
           "sequence tracking statistics:\n"
           "\trecv:\n"
           "\t\tPackets lost:\t\t%20llu\n"
           "\t\tPackets before:\t\t%20llu\n\n",
           r.n("recv.malformed"), r.n("recv.bad_version"), r.n("recv.bad_header"),
           r.n("recv.bad_payload"), r.n("recv.bad_type"), r.n("recv.truncated"),
           r.n("recv.bad_size"), r.n("send.malformed"), r.n("seq.lost"), r.n("seq.before"));
    activeLinkStats(out, r);
    return out;
}

std::string cache(const Reader& r)
{
    std::string out;
    cacheStatsExtended(out, r, "internal");
    cacheStatsExtended(out, r, "external");
    return out;
}

// run.c dump_stats_runtime(). The child/select/wait/local counters are conntrackd's
// process model; ctd sends zeros for them.
std::string runtime(const Reader& r)
{
    std::string out;
    append(out,
           "daemon uptime: %s\n\n"
           "netlink stats:\n"
           "\tevents received:\t%20llu\n"
           "\tevents filtered:\t%20llu\n"
           "\tevents unknown type:\t\t%12llu\n"
           "\tcatch event failed:\t\t%12llu\n"
           "\tdump unknown type:\t\t%12llu\n"
           "\tnetlink overrun:\t\t%12llu\n"
           "\tflush kernel table:\t\t%12llu\n"
           "\tresync with kernel table:\t%12llu\n"
           "\tcurrent buffer size (in bytes):\t%12llu\n\n"
           "runtime stats:\n"
           "\tchild process failed:\t\t%12llu\n"
           "\t\tchild process segfault:\t%12llu\n"
           "\t\tchild process termsig:\t%12llu\n"
           "\tselect failed:\t\t\t%12llu\n"
           "\twait failed:\t\t\t%12llu\n"
           "\tlocal read failed:\t\t%12llu\n"
           "\tlocal unknown request:\t\t%12llu\n\n",
           formatUptime(r.n("uptime")).c_str(), r.n("events_received"), r.n("events_filtered"),
           r.n("events_unknown"), r.n("catch_failed"), r.n("dump_unknown"),
           r.n("netlink_overrun"), r.n("flush_kernel"), r.n("kernel_resyncs"),
           r.n("buffer_size"), r.n("child_failed"), r.n("child_segfault"),
           r.n("child_termsig"), r.n("select_failed"), r.n("wait_failed"),
           r.n("local_read_failed"), r.n("local_unknown_request"));
    return out;
}

// multichannel_stats_extended(): every channel with its carrier and role.
std::string links(const Reader& r)
{
    std::string out;
    const unsigned long long count = r.n("links");
    // A hostile count must not make us loop for ever: conntrackd allows 4 channels
    // (MULTICHANNEL_MAX); anything the service did not describe prints nothing.
    for (unsigned long long i = 0; i < count && i < 1024; ++i) {
        const std::string p = "link." + std::to_string(i) + ".";
        if (!r.has(p + "kind"))
            break;
        const std::string kind = r.s(p + "kind");
        const char* word = kind == "UDP" ? "UDP"
            : kind == "Multicast"        ? "multicast"
            : kind == "TCP"              ? "TCP"
                                         : nullptr;
        if (!word)
            continue;
        append(out, "%s traffic device=%s status=%s role=%s:\n", word, r.s(p + "device").c_str(),
               r.s(p + "status").c_str(), r.s(p + "role").c_str());
        linkCounters(out, r, p);
    }
    return out;
}

// sync-ftfw.c: the resend queue; NOTRACK and ALARM have none and print nothing.
std::string rsqueue(const Reader& r)
{
    if (!r.has("length"))
        return {};
    std::string out;
    append(out, "resent queue (len=%llu)\n", r.n("length"));
    for (const auto& item : r.list("items"))
        out += item + "\n";
    return out;
}

// queue.c queue_stats_show(): conntrackd lists its queues newest first, which is this
// order; a mode without a resend queue (NOTRACK, ALARM) has no rsqueue.
std::string queues(const Reader& r)
{
    std::string out;
    append(out, "allocated queue nodes:\t\t%12llu\n\n", r.n("nodes"));
    for (const char* name : {"txqueue", "errorq", "rsqueue"}) {
        const std::string p = std::string(name) + ".";
        if (!r.has(p + "current") && !r.has(p + "max") && !r.has(p + "no_space"))
            continue;
        append(out,
               "queue %s:\n"
               "current elements:\t\t%12llu\n"
               "maximum elements:\t\t%12llu\n"
               "not enough space errors:\t%12llu\n\n",
               name, r.n(p + "current"), r.n(p + "max"), r.n(p + "no_space"));
    }
    return out;
}

} // namespace

std::string formatFlowStats(const std::string& category, const StatsMap& stats)
{
    const Reader r(stats);
    std::string out;
    if (category.empty() || category == "ct") {
        cacheStats(out, r, "stats");
        trafficStats(out, r);
    } else if (category == "cache") {
        cacheStatsExtended(out, r, "stats");
    } else if (category == "runtime") {
        out = runtime(r);
    }
    return out;
}

std::string formatUptime(uint64_t seconds)
{
    const unsigned long long days = seconds / (60 * 60 * 24);
    const unsigned long long minutes = seconds / 60;
    const unsigned long long hours = (minutes / 60) % 24;
    std::string out;
    if (days)
        append(out, "%llu day%s ", days, days != 1 ? "s" : "");
    if (hours)
        append(out, "%llu h %llu min", hours, minutes % 60);
    else
        append(out, "%llu min", minutes % 60);
    return out;
}

std::string formatStats(const std::string& category, const StatsMap& stats)
{
    const Reader r(stats);
    if (category.empty() || category == "ct")
        return general(r);
    if (category == "expect")
        // Nothing while expectation sync is off: the service then sends no keys.
        return r.has("internal.active") || r.has("external.active") ? general(r) : std::string();
    if (category == "network")
        return network(r);
    if (category == "cache")
        return cache(r);
    if (category == "runtime")
        return runtime(r);
    if (category == "link")
        return links(r);
    if (category == "rsqueue")
        return rsqueue(r);
    if (category == "queue")
        return queues(r);
    return {};
}

} // namespace ctd::ctl::conntrackd
