#include "cache_dump.hpp"

namespace ctd::sync {
namespace {

Entry asConntrackdShowsIt(const CacheObject& obj, bool external)
{
    Entry e = obj.entry();
    e.timeout.reset();
    e.use.reset();
    if (external)
        e.reply = Tuple{};
    return e;
}

void appendAge(TextBuffer& out, const CacheObject& obj, const CacheDumpOptions& o)
{
    // The formatter ends each line with '\n'; conntrackd's suffix goes before it.
    if (out.last() == '\n')
        out.dropLast(1);
    if (o.alarmMode) {
        uint64_t left = obj.refreshDueMs > o.nowMs ? (obj.refreshDueMs - o.nowMs) / 1000 : 0;
        out.append(" [expires in ");
        out.appendDecimal(left);
    } else {
        uint64_t age = o.nowMs > obj.createdMs ? (o.nowMs - obj.createdMs) / 1000 : 0;
        out.append(" [active since ");
        out.appendDecimal(age);
    }
    out.append("s]\n");
}

} // namespace

Result<uint64_t> dumpCache(const SyncCache& cache, const CacheDumpOptions& o, TextBuffer& out,
                           const std::function<bool(TextBuffer&)>& flush)
{
    const bool conntrackd = o.style == CacheDumpOptions::Style::Conntrackd;
    const bool xmlLines = o.style == CacheDumpOptions::Style::ConntrackdXml;
    FormatOptions spec = o.format;
    if (conntrackd)
        spec = FormatOptions{};
    else if (xmlLines) {
        spec = FormatOptions{};
        spec.kind = OutputKind::Xml;
    }
    // conntrack -U's XML has no document around the flows, which is conntrackd's -x.
    Formatter formatter(spec, xmlLines ? Command::Update : Command::List, out);
    if (!xmlLines)
        formatter.begin();
    uint64_t written = 0;
    bool stopped = false;
    cache.forEach([&](const CacheKey&, const CacheObject& obj) {
        if (stopped || obj.state == ObjectState::Dead)
            return;
        if (conntrackd || xmlLines) {
            formatter.entry(asConntrackdShowsIt(obj, o.external));
            if (conntrackd)
                appendAge(out, obj, o);
        } else {
            formatter.entry(obj.entry());
        }
        ++written;
        if (out.wantsFlush() && !flush(out))
            stopped = true;
    });
    if (!xmlLines && !stopped)
        formatter.end();
    if (!stopped)
        flush(out);
    return written;
}

Result<uint64_t> dumpExpectationCache(const ExpectationCache& cache, const CacheDumpOptions& o, TextBuffer& out,
                                      const std::function<bool(TextBuffer&)>& flush)
{
    const bool conntrackd = o.style == CacheDumpOptions::Style::Conntrackd;
    FormatOptions spec = o.format;
    if (conntrackd)
        spec = FormatOptions{};
    else if (o.style == CacheDumpOptions::Style::ConntrackdXml) {
        spec = FormatOptions{};
        spec.kind = OutputKind::Xml;
    }
    Formatter formatter(spec, o.style == CacheDumpOptions::Style::ConntrackdXml ? Command::Update : Command::List, out);
    if (o.style == CacheDumpOptions::Style::Formatted)
        formatter.begin();
    uint64_t written = 0;
    bool stopped = false;
    cache.forEach([&](const ExpectationObject& obj) {
        if (stopped)
            return;
        if (conntrackd) {
            // conntrackd's line, like its connections: no timeout.
            Expectation shown = obj.expectation;
            shown.timeout.reset();
            formatter.expectation(shown);
        } else {
            formatter.expectation(obj.expectation);
        }
        if (conntrackd) {
            if (out.last() == '\n')
                out.dropLast(1);
            out.append(" [active since ");
            out.appendDecimal(o.nowMs > obj.createdMs ? (o.nowMs - obj.createdMs) / 1000 : 0);
            out.append("s]\n");
        }
        ++written;
        if (out.wantsFlush() && !flush(out))
            stopped = true;
    });
    if (o.style == CacheDumpOptions::Style::Formatted && !stopped)
        formatter.end();
    if (!stopped)
        flush(out);
    return written;
}

} // namespace ctd::sync
